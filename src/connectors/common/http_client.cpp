#include "connectors/common/http_client.h"

#include <curl/curl.h>

#include <mutex>

namespace tributary {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

struct TransferState {
  const HttpRequest* request = nullptr;
  const std::atomic<bool>* abort = nullptr;
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const size_t bytes = size * count;
  if (state->abort && state->abort->load(std::memory_order_acquire)) {
    state->response->aborted = true;
    return 0;
  }
  long status = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  const bool success = status >= 200 && status < 300;
  if (success && state->request->on_body) {
    if (!state->request->on_body(std::string_view(data, bytes))) {
      state->response->stopped_by_receiver = true;
      return 0;
    }
    return bytes;
  }
  std::string& body = state->response->body;
  if (success || body.size() < kMaxErrorBody) {
    body.append(data, success ? bytes : std::min(bytes, kMaxErrorBody - body.size()));
  }
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<TransferState*>(user);
  if (state->abort && state->abort->load(std::memory_order_acquire)) {
    state->response->aborted = true;
    return 1;  // libcurl ends the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// "127.0.0.1:8123" from a URL, for error messages (the URL never holds credentials).
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpHandle::HttpHandle() {
  EnsureCurlGlobalInit();
  curl_ = curl_easy_init();
}

HttpHandle::~HttpHandle() {
  if (curl_) curl_easy_cleanup(curl_);
}

Result<HttpResponse> HttpHandle::Perform(const HttpRequest& request,
                                         const std::atomic<bool>* abort) {
  if (!curl_) return Internal("libcurl could not create a transfer handle");
  HttpResponse response;
  TransferState state{&request, abort, curl_, &response};

  // Options persist on a reused handle: reset them, keeping the connection cache.
  curl_easy_reset(curl_);
  curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));  // NOLINT
  if (request.total_timeout.count() > 0) {
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(request.total_timeout.count()));  // NOLINT
  }
  if (request.post) {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  }
  if (!request.basic_user.empty()) {
    curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl_, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(curl_, CURLOPT_PASSWORD, request.basic_password.c_str());
  }
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1L : 0L);
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2L : 0L);
  if (!request.tls.ca_file.empty()) {
    curl_easy_setopt(curl_, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  }
  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" round trip for larger bodies.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &state);

  CURLcode code = curl_easy_perform(curl_);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  if (code == CURLE_OK) return response;
  if (response.stopped_by_receiver || response.aborted) return response;
  const std::string host = HostOf(request.url);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return Unavailable("connection refused by " + host);
    case CURLE_COULDNT_RESOLVE_HOST:
      return Unavailable("cannot resolve host " + host);
    case CURLE_OPERATION_TIMEDOUT:
      return Unavailable(response.status == 0 ? "timed out connecting to " + host
                                              : "timed out reading from " + host);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Unavailable("TLS handshake with " + host + " failed: " + curl_easy_strerror(code));
    default:
      return Unavailable("HTTP request to " + host + " failed: " + curl_easy_strerror(code));
  }
}

}  // namespace tributary
