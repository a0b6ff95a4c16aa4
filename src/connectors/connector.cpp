#include "connectors/connector.h"

namespace tributary {

Status QueryTimeoutError(std::chrono::milliseconds timeout) {
  return DeadlineExceeded("query exceeded its timeout of " + std::to_string(timeout.count()) +
                          " ms");
}

Status QueryCancelledError(const CancelToken& cancel) {
  std::string reason = cancel.reason();
  return Cancelled(reason.empty() ? "query cancelled" : reason);
}

}  // namespace tributary
