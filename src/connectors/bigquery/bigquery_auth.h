// Google OAuth 2.0 access tokens for the BigQuery connector.
//
// Two sources of tokens: a service-account key (the JSON file Google issues: client_email,
// private_key, private_key_id, token_uri, project_id), signed into a JWT with RS256 (OpenSSL
// EVP_DigestSign) and exchanged at the key's token_uri (grant_type jwt-bearer); or, without a
// key, Application Default Credentials from the GCE/GKE metadata server
// (`/computeMetadata/v1/instance/service-accounts/default/token`, header Metadata-Flavor:
// Google). A token is cached until 60 s before it expires; when it must be refreshed, one
// thread fetches a new one under a mutex while the others wait for it (no thundering herd).
// Errors never contain the key, the JWT or a token.
// Thread-safety: ParseServiceAccountKey and SignJwtRs256 are pure; a TokenProvider may be used
// from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/cancel.h"
#include "common/status.h"
#include "connectors/common/http_client.h"

namespace tributary::bigquery {

//! The fields of a service-account key the connector uses.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_pem;
  std::string private_key_id;
  std::string token_uri;
  std::string project_id;
};

//! Parses a key's JSON; CONFIG_ERROR naming `where` and the missing field (never the key).
Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json, std::string_view where);

//! `<header>.<claims>.<signature>`, each base64url: an RS256 JWS of the two JSON documents
//! signed with the PEM private key. CONFIG_ERROR when the key cannot be read.
Result<std::string> SignJwtRs256(std::string_view header_json, std::string_view claims_json,
                                 const std::string& private_key_pem);

//! An access token and when it stops being valid.
struct AccessToken {
  std::string value;
  std::chrono::steady_clock::time_point expires_at;
};

//! Where tokens come from: a key (token endpoint) or the metadata server.
struct TokenSourceOptions {
  //! For error messages ("source 'bq': ...").
  std::string source_id;
  //! Set: sign JWTs with it. Unset: Application Default Credentials via `metadata_url`.
  std::unique_ptr<ServiceAccountKey> key;
  //! Overrides the key's token_uri when not empty (tests point it at loopback).
  std::string token_uri_override;
  //! Base of the metadata server, e.g. http://metadata.google.internal (no trailing slash).
  std::string metadata_url;
  std::string scope = "https://www.googleapis.com/auth/bigquery";
};

//! Cached access tokens. Thread-safety: every member may be called from any thread.
class TokenProvider {
 public:
  TokenProvider(TokenSourceOptions options, HttpClient* http);

  //! A token valid for at least another 60 s, fetched when needed. UNAVAILABLE
  //! "authentication failed: ..." when the token endpoint refuses (401, invalid_grant).
  Result<std::string> Token(const CancelToken& cancel,
                            std::chrono::steady_clock::time_point deadline);
  //! Forgets the cached token (after the API answered 401 with it).
  void Invalidate();
  //! The token URI in use (empty for the metadata server).
  std::string token_uri() const;

 private:
  Result<AccessToken> FetchWithKey(const CancelToken& cancel,
                                   std::chrono::steady_clock::time_point deadline);
  Result<AccessToken> FetchFromMetadata(const CancelToken& cancel,
                                        std::chrono::steady_clock::time_point deadline);

  TokenSourceOptions options_;
  HttpClient* http_;
  std::mutex mu_;
  AccessToken cached_;
};

}  // namespace tributary::bigquery
