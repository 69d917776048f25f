#include "jws.hpp"

#include "ossl.hpp"

#include <certtool/error.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <array>

namespace certtool::detail {

using nlohmann::json;

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A BIGNUM parameter of the key, big-endian, padded to `size` bytes (0: minimal, as RSA's n
// and e are in a JWK).
std::string bn_param(const EVP_PKEY* pkey, const char* name, int size) {
    BIGNUM* raw = nullptr;
    ossl::check1(EVP_PKEY_get_bn_param(pkey, name, &raw), "reading the account key");
    const ossl::BignumPtr bn{raw};
    const int len = size > 0 ? size : BN_num_bytes(bn.get());
    std::string out(static_cast<std::size_t>(len), '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len) != len) {
        ossl::throw_error(Errc::crypto, "encoding the account key");
    }
    return out;
}

std::string json_compact(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

}  // namespace

std::string base64url(std::string_view in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::size_t i = 0;
    const auto at = [&](std::size_t k) {
        return static_cast<unsigned>(static_cast<unsigned char>(in[k]));
    };
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = (at(i) << 16U) | (at(i + 1) << 8U) | at(i + 2);
        out += k_alphabet[(v >> 18U) & 63U];
        out += k_alphabet[(v >> 12U) & 63U];
        out += k_alphabet[(v >> 6U) & 63U];
        out += k_alphabet[v & 63U];
    }
    if (in.size() - i == 1) {
        const unsigned v = at(i) << 16U;
        out += k_alphabet[(v >> 18U) & 63U];
        out += k_alphabet[(v >> 12U) & 63U];
    } else if (in.size() - i == 2) {
        const unsigned v = (at(i) << 16U) | (at(i + 1) << 8U);
        out += k_alphabet[(v >> 18U) & 63U];
        out += k_alphabet[(v >> 12U) & 63U];
        out += k_alphabet[(v >> 6U) & 63U];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned acc = 0;
    unsigned bits = 0;
    for (const char c : text) {
        const std::size_t v = k_alphabet.find(c);
        if (v == std::string_view::npos) {
            return std::nullopt;
        }
        acc = (acc << 6U) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFFU);
        }
    }
    if ((acc & ((1U << bits) - 1U)) != 0) {
        return std::nullopt;  // bits left over that encode nothing must be zero
    }
    return out;
}

JwsKey jws_key(const PrivateKey& key) {
    const EVP_PKEY* pkey = key.native();
    if (ossl::is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bits(pkey) < 2048) {
            throw Error(Errc::unsupported,
                        "an ACME account key must be RSA 2048 or larger, not " + key.describe());
        }
        return {key,
                "RS256",
                {{"e", base64url(bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0))},
                 {"kty", "RSA"},
                 {"n", base64url(bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0))}}};
    }
    if (ossl::is_a(pkey, "EC")) {
        const int bits = EVP_PKEY_get_bits(pkey);
        const std::string description = key.describe();
        std::string crv;
        std::string alg;
        if (description == "EC P-256") {
            crv = "P-256";
            alg = "ES256";
        } else if (description == "EC P-384") {
            crv = "P-384";
            alg = "ES384";
        } else {
            throw Error(Errc::unsupported,
                        "an ACME account key must be EC P-256 or P-384, not " + description);
        }
        const int size = (bits + 7) / 8;
        return {key,
                alg,
                {{"crv", crv},
                 {"kty", "EC"},
                 {"x", base64url(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size))},
                 {"y", base64url(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size))}}};
    }
    if (ossl::is_a(pkey, "ED25519")) {
        std::array<unsigned char, 32> pub{};
        std::size_t len = pub.size();
        ossl::check1(EVP_PKEY_get_raw_public_key(pkey, pub.data(), &len),
                     "reading the account key");
        return {key,
                "EdDSA",
                {{"crv", "Ed25519"},
                 {"kty", "OKP"},
                 {"x", base64url({reinterpret_cast<const char*>(pub.data()), len})}}};
    }
    throw Error(
        Errc::unsupported,
        "an ACME account key must be RSA, EC P-256/P-384 or Ed25519, not " + key.describe());
}

std::string jwk_thumbprint(const json& jwk) {
    // The required members only (RFC 7638 3.2); nlohmann's object keeps keys sorted.
    const std::string kty = jwk.at("kty").get<std::string>();
    json required;
    if (kty == "RSA") {
        required = {{"e", jwk.at("e")}, {"kty", kty}, {"n", jwk.at("n")}};
    } else if (kty == "EC") {
        required = {{"crv", jwk.at("crv")}, {"kty", kty}, {"x", jwk.at("x")}, {"y", jwk.at("y")}};
    } else {
        required = {{"crv", jwk.at("crv")}, {"kty", kty}, {"x", jwk.at("x")}};
    }
    return base64url(ossl::sha256(json_compact(required)));
}

json jws_sign(const JwsKey& key,
              std::string_view payload,
              std::string_view url,
              std::string_view nonce,
              std::string_view kid) {
    json header{{"alg", key.alg}, {"url", url}};
    if (!nonce.empty()) {
        header["nonce"] = nonce;
    }
    if (kid.empty()) {
        header["jwk"] = key.jwk;
    } else {
        header["kid"] = kid;
    }
    const std::string protected64 = base64url(json_compact(header));
    const std::string payload64 = base64url(payload);
    const std::string signing_input = protected64 + "." + payload64;
    return {{"protected", protected64},
            {"payload", payload64},
            {"signature", base64url(key.key.sign(signing_input, SignatureEncoding::fixed))}};
}

json eab_jws(const json& account_jwk,
             std::string_view eab_kid,
             const Secret& hmac_key,
             std::string_view new_account_url) {
    const json header{{"alg", "HS256"}, {"kid", eab_kid}, {"url", new_account_url}};
    const std::string protected64 = base64url(json_compact(header));
    const std::string payload64 = base64url(json_compact(account_jwk));
    const std::string signing_input = protected64 + "." + payload64;
    std::string mac;
    ossl::hmac_sha256(hmac_key.view(), signing_input, mac);
    return {{"protected", protected64}, {"payload", payload64}, {"signature", base64url(mac)}};
}

}  // namespace certtool::detail
