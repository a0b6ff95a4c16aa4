#include "connectors/bigquery/bigquery_auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>

#include "core/encoding.h"
#include "core/json_value.h"

namespace tributary::bigquery {

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// A token is refreshed this long before it expires.
constexpr auto kRefreshMargin = std::chrono::seconds(60);
// A signed assertion is valid this long (Google accepts at most one hour).
constexpr int64_t kAssertionLifetime = 3600;
// Header lines as named strings (GCC 12 -O3 warns falsely on a literal pushed into a vector).
const std::string kFormContentType = "Content-Type: application/x-www-form-urlencoded";
const std::string kMetadataFlavor = "Metadata-Flavor: Google";

std::string StringField(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (!v || !v->is_string()) return {};
  return std::string(v->as_string());
}

// Maps a token endpoint's error answer to UNAVAILABLE "authentication failed: ...", quoting
// only Google's error code and description (they never echo the assertion).
Status AuthFailure(const std::string& source_id, const std::string& where, long status,
                   const std::string& body) {
  std::string detail = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  json::value parsed = ParseJson(body, ec);
  if (!ec && parsed.is_object()) {
    const auto& o = parsed.as_object();
    std::string error = StringField(o, "error");
    std::string description = StringField(o, "error_description");
    if (!error.empty()) detail += " " + error;
    if (!description.empty()) detail += " (" + description + ")";
  }
  return Unavailable("source '" + source_id + "': authentication failed: " + where +
                     " refused the credentials: " + detail +
                     "; check that the service-account key is current and not revoked, and "
                     "that its token_uri is right");
}

Result<AccessToken> ParseTokenAnswer(const std::string& source_id, const std::string& where,
                                     const std::string& body) {
  boost::system::error_code ec;
  json::value parsed = ParseJson(body, ec);
  if (ec || !parsed.is_object()) {
    return Unavailable("source '" + source_id + "': authentication failed: " + where +
                       " did not answer with a JSON token");
  }
  const auto& o = parsed.as_object();
  AccessToken token;
  token.value = StringField(o, "access_token");
  if (token.value.empty()) {
    return Unavailable("source '" + source_id + "': authentication failed: " + where +
                       " answered without an access_token");
  }
  int64_t expires_in = 3600;
  if (const json::value* e = o.if_contains("expires_in")) {
    if (e->is_int64()) expires_in = e->as_int64();
    if (e->is_uint64()) expires_in = static_cast<int64_t>(e->as_uint64());
  }
  token.expires_at = Clock::now() + std::chrono::seconds(expires_in);
  return token;
}

}  // namespace

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view text, std::string_view where) {
  boost::system::error_code ec;
  json::value parsed = ParseJson(text, ec);
  if (ec || !parsed.is_object()) {
    return ConfigError(std::string(where) +
                       " is not a service-account key: expected the JSON document Google "
                       "issues (IAM > Service accounts > Keys > Add key > JSON)");
  }
  const auto& o = parsed.as_object();
  ServiceAccountKey key;
  key.client_email = StringField(o, "client_email");
  key.private_key_pem = StringField(o, "private_key");
  key.private_key_id = StringField(o, "private_key_id");
  key.token_uri = StringField(o, "token_uri");
  key.project_id = StringField(o, "project_id");
  std::string type = StringField(o, "type");
  if (!type.empty() && type != "service_account") {
    return ConfigError(std::string(where) + " holds credentials of type '" + type +
                       "'; only service_account keys are supported (or leave the key out to "
                       "use the metadata server)");
  }
  for (auto [name, value] :
       {std::pair<const char*, const std::string*>{"client_email", &key.client_email},
        {"private_key", &key.private_key_pem}}) {
    if (value->empty()) {
      return ConfigError(std::string(where) + " lacks the field '" + name +
                         "' of a service-account key");
    }
  }
  if (key.token_uri.empty()) key.token_uri = "https://oauth2.googleapis.com/token";
  return key;
}

Result<std::string> SignJwtRs256(std::string_view header_json, std::string_view claims_json,
                                 const std::string& private_key_pem) {
  std::string signing_input = Base64UrlEncode(header_json);
  signing_input += '.';
  signing_input += Base64UrlEncode(claims_json);

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), &BIO_free);
  if (!bio) return Internal("out of memory reading the private key");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!pkey) {
    return ConfigError(
        "the service-account key's private_key is not a readable PEM private key; download "
        "a new JSON key for the service account");
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return ConfigError("the service-account key cannot sign with RS256 (is it an RSA key?)");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Internal("RS256 signing failed");
  }
  signature.resize(length);
  signing_input += '.';
  signing_input += Base64UrlEncode(signature);
  return signing_input;
}

TokenProvider::TokenProvider(TokenSourceOptions options, HttpClient* http)
    : options_(std::move(options)), http_(http) {}

std::string TokenProvider::token_uri() const {
  if (!options_.key) return {};
  return options_.token_uri_override.empty() ? options_.key->token_uri
                                             : options_.token_uri_override;
}

void TokenProvider::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_ = AccessToken{};
}

Result<std::string> TokenProvider::Token(const CancelToken& cancel, Clock::time_point deadline) {
  // One thread refreshes; the others wait on the mutex and then find the fresh token.
  std::lock_guard<std::mutex> lock(mu_);
  if (!cached_.value.empty() && Clock::now() + kRefreshMargin < cached_.expires_at) {
    return cached_.value;
  }
  Result<AccessToken> fetched =
      options_.key ? FetchWithKey(cancel, deadline) : FetchFromMetadata(cancel, deadline);
  if (!fetched.ok()) return fetched.status();
  cached_ = std::move(*fetched);
  return cached_.value;
}

Result<AccessToken> TokenProvider::FetchWithKey(const CancelToken& cancel,
                                                Clock::time_point deadline) {
  const ServiceAccountKey& key = *options_.key;
  const std::string uri = token_uri();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  json::object claims{{"iss", key.client_email},
                      {"scope", options_.scope},
                      {"aud", uri},
                      {"iat", now},
                      {"exp", now + kAssertionLifetime}};
  auto jwt = SignJwtRs256(json::serialize(header), json::serialize(claims), key.private_key_pem);
  if (!jwt.ok()) {
    return Status(jwt.status().code(),
                  "source '" + options_.source_id + "': " + jwt.status().message());
  }
  HttpRequest request;
  request.url = uri;
  request.headers.push_back(kFormContentType);
  request.body = "grant_type=" + UrlEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                 "&assertion=" + UrlEncode(*jwt);
  auto response = http_->Perform(std::move(request), cancel, deadline);
  if (!response.ok()) {
    if (response.status().code() == ErrorCode::kUnavailable) {
      return Unavailable("source '" + options_.source_id +
                         "': authentication failed: cannot reach the token endpoint " + uri + ": " +
                         response.status().message());
    }
    return response.status();
  }
  if (response->status != 200) {
    return AuthFailure(options_.source_id, "the token endpoint " + uri, response->status,
                       response->body);
  }
  return ParseTokenAnswer(options_.source_id, "the token endpoint " + uri, response->body);
}

Result<AccessToken> TokenProvider::FetchFromMetadata(const CancelToken& cancel,
                                                     Clock::time_point deadline) {
  HttpRequest request;
  request.url =
      options_.metadata_url + "/computeMetadata/v1/instance/service-accounts/default/token";
  request.post = false;
  request.headers.push_back(kMetadataFlavor);
  request.connect_timeout = std::chrono::milliseconds(2000);
  auto response = http_->Perform(std::move(request), cancel, deadline);
  const std::string where = "the metadata server " + options_.metadata_url;
  if (!response.ok()) {
    if (response.status().code() == ErrorCode::kUnavailable) {
      return Unavailable("source '" + options_.source_id + "': authentication failed: " + where +
                         " cannot be reached (" + response.status().message() +
                         "); outside Google Cloud set credentials_file or credentials_json "
                         "to a service-account key");
    }
    return response.status();
  }
  if (response->status != 200) {
    return AuthFailure(options_.source_id, where, response->status, response->body);
  }
  return ParseTokenAnswer(options_.source_id, where, response->body);
}

}  // namespace tributary::bigquery
