// Placeholder until the demo data generator lands.
#include "demo/demo_data.h"

namespace tributary {

Status GenerateDemoData(const DemoDataOptions& options) {
  return Internal("demo data generation is not implemented yet: " + options.path);
}

Status EnsureDemoData(const std::string& path) {
  DemoDataOptions options;
  options.path = path;
  return GenerateDemoData(options);
}

}  // namespace tributary
