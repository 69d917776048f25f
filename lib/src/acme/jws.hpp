// JSON Web Signatures as ACME uses them (RFC 8555 6.2): the flattened JSON serialization,
// signed with the account key (RFC 7515), the key as a JWK (RFC 7517) and its thumbprint
// (RFC 7638), base64url without padding, and the External Account Binding (RFC 8555 7.3.4):
// an HS256 JWS over the account's JWK.
#pragma once

#include <certtool/key.hpp>
#include <certtool/secret.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace certtool::detail {

// RFC 4648 section 5, no padding.
[[nodiscard]] std::string base64url(std::string_view bytes);
// The reverse; padding and whitespace are refused. nullopt for anything that is not base64url
// (a character outside the alphabet, an impossible length, non-zero trailing bits).
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// The account key as JOSE sees it: the algorithm ("ES256", "ES384", "RS256", "EdDSA") and the
// public JWK, members in lexicographic order.
struct JwsKey {
    PrivateKey key;
    std::string alg;
    nlohmann::json jwk;
};

// Throws Error{unsupported} for a key JOSE cannot name (P-521 aside from ES512, Ed448, DSA,
// RSA-PSS, RSA under 2048 bits).
[[nodiscard]] JwsKey jws_key(const PrivateKey& key);

// RFC 7638: base64url(SHA-256(the required members, sorted, no whitespace)).
[[nodiscard]] std::string jwk_thumbprint(const nlohmann::json& jwk);

// The flattened JSON serialization {"protected", "payload", "signature"} of `payload` (empty
// for ACME's POST-as-GET) with the protected header alg, nonce, url and either jwk (kid empty:
// newAccount, revocation by certificate key) or kid (the account URL).
[[nodiscard]] nlohmann::json jws_sign(const JwsKey& key,
                                      std::string_view payload,
                                      std::string_view url,
                                      std::string_view nonce,
                                      std::string_view kid);

// The externalAccountBinding member of a newAccount payload: an HS256 JWS, protected header
// {"alg": "HS256", "kid": eab_kid, "url": new_account_url}, payload the account's JWK, the MAC
// keyed with hmac_key (the decoded bytes the CA issued).
[[nodiscard]] nlohmann::json eab_jws(const nlohmann::json& account_jwk,
                                     std::string_view eab_kid,
                                     const Secret& hmac_key,
                                     std::string_view new_account_url);

}  // namespace certtool::detail
