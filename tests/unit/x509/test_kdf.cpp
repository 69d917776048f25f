#include "kdf.hpp"
#include "ossl.hpp"

#include <catch2/catch.hpp>
#include <openssl/hmac.h>

#include <string>
#include <vector>

using certtool::detail::pbkdf2_hmac_sha256;
using certtool::detail::pkcs12_kdf_sha256;

namespace {

std::vector<unsigned char> kdf_bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

std::vector<unsigned char> kdf_hex(std::string_view h) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
        out.push_back(
            static_cast<unsigned char>(std::stoi(std::string{h.substr(i, 2)}, nullptr, 16)));
    }
    return out;
}

std::vector<unsigned char> our_pbkdf2(std::string_view password,
                                      std::string_view salt,
                                      int iterations,
                                      std::size_t len) {
    std::vector<unsigned char> out(len);
    const auto s = kdf_bytes(salt);
    pbkdf2_hmac_sha256(password, s.data(), s.size(), iterations, out.data(), out.size());
    return out;
}

std::vector<unsigned char> libcrypto_pbkdf2(std::string_view password,
                                            std::string_view salt,
                                            int iterations,
                                            std::size_t len) {
    std::vector<unsigned char> out(len);
    const auto s = kdf_bytes(salt);
    REQUIRE(PKCS5_PBKDF2_HMAC(password.data(),
                              static_cast<int>(password.size()),
                              s.data(),
                              static_cast<int>(s.size()),
                              iterations,
                              EVP_sha256(),
                              static_cast<int>(len),
                              out.data()) == 1);
    return out;
}

}  // namespace

TEST_CASE("kdf: PBKDF2-HMAC-SHA256 gives the published test vectors", "[kdf][pkcs12]") {
    // RFC 7914 section 11 (PBKDF2-HMAC-SHA256).
    CHECK(our_pbkdf2("passwd", "salt", 1, 64) ==
          kdf_hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                  "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
    CHECK(our_pbkdf2("Password", "NaCl", 80000, 64) ==
          kdf_hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                  "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"));
    // The RFC 6070 inputs with SHA-256 (as published alongside RFC 7914's).
    CHECK(our_pbkdf2("password", "salt", 1, 32) ==
          kdf_hex("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
    CHECK(our_pbkdf2("password", "salt", 2, 32) ==
          kdf_hex("ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"));
    CHECK(our_pbkdf2("password", "salt", 4096, 32) ==
          kdf_hex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"));
}

TEST_CASE("kdf: PBKDF2-HMAC-SHA256 agrees with PKCS5_PBKDF2_HMAC", "[kdf][pkcs12]") {
    const std::string long_password(100, 'p');  // over one block: hashed first
    const std::string block_password(64, 'q');  // exactly one block: used as is
    for (const std::string& password : {std::string{},
                                        std::string{"x"},
                                        std::string{"s3cret ünicode"},
                                        long_password,
                                        block_password}) {
        for (const std::string& salt :
             {std::string{}, std::string{"0123456789abcdef"}, std::string(70, 's')}) {
            for (int iterations : {1, 2, 3, 1000}) {
                for (std::size_t len : {1U, 16U, 32U, 33U, 80U}) {
                    INFO(password.size() << " " << salt.size() << " " << iterations << " " << len);
                    CHECK(our_pbkdf2(password, salt, iterations, len) ==
                          libcrypto_pbkdf2(password, salt, iterations, len));
                }
            }
        }
    }
}

TEST_CASE("kdf: the PKCS#12 SHA-256 KDF agrees with PKCS12_key_gen_uni", "[kdf][pkcs12]") {
    for (const std::string& password : {std::string{"benchpass"},
                                        std::string{"s3cret ünicode"},
                                        std::string(40, 'p'),
                                        std::string{}}) {
        unsigned char* uni = nullptr;
        int uni_len = 0;
        REQUIRE(
            OPENSSL_utf82uni(password.c_str(), static_cast<int>(password.size()), &uni, &uni_len) !=
            nullptr);
        const certtool::ossl::OpensslBytesPtr owner{uni};
        for (const std::string& salt :
             {std::string{"12345678"}, std::string(16, 's'), std::string(65, 't')}) {
            auto s = kdf_bytes(salt);  // PKCS12_key_gen_uni takes it non-const
            for (int id : {1, 2, 3}) {
                for (int iterations : {1, 2, 2048}) {
                    for (std::size_t len : {8U, 20U, 32U}) {
                        INFO(password << " " << salt.size() << " " << id << " " << iterations);
                        std::vector<unsigned char> a(len);
                        std::vector<unsigned char> b(len);
                        REQUIRE(pkcs12_kdf_sha256(uni,
                                                  static_cast<std::size_t>(uni_len),
                                                  s.data(),
                                                  s.size(),
                                                  id,
                                                  iterations,
                                                  a.data(),
                                                  a.size()));
                        REQUIRE(PKCS12_key_gen_uni(uni,
                                                   uni_len,
                                                   s.data(),
                                                   static_cast<int>(s.size()),
                                                   id,
                                                   iterations,
                                                   static_cast<int>(len),
                                                   b.data(),
                                                   EVP_sha256()) == 1);
                        CHECK(a == b);
                    }
                }
            }
        }
    }
    std::vector<unsigned char> too_long(33);
    CHECK_FALSE(pkcs12_kdf_sha256(nullptr, 0, nullptr, 0, 3, 1, too_long.data(), too_long.size()));
}

TEST_CASE("kdf: HMAC-SHA256 gives RFC 4231's vectors and HMAC()'s bytes", "[kdf][pkcs12]") {
    const auto mac = [](const std::vector<unsigned char>& key,
                        const std::vector<unsigned char>& data) {
        std::vector<unsigned char> out(32);
        certtool::detail::hmac_sha256(key.data(), key.size(), data.data(), data.size(), out.data());
        return out;
    };
    // RFC 4231 test cases 2 and 6 (a key longer than a block).
    CHECK(mac(kdf_bytes("Jefe"), kdf_bytes("what do ya want for nothing?")) ==
          kdf_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    CHECK(mac(std::vector<unsigned char>(131, 0xaa),
              kdf_bytes("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          kdf_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    for (std::size_t key_len : {1U, 32U, 64U, 65U}) {
        for (std::size_t len : {0U, 1U, 55U, 56U, 64U, 1000U}) {
            const std::vector<unsigned char> key(key_len, 0x42);
            const std::vector<unsigned char> data(len, 0x17);
            std::vector<unsigned char> expected(32);
            unsigned int n = 0;
            REQUIRE(HMAC(EVP_sha256(),
                         key.data(),
                         static_cast<int>(key.size()),
                         data.data(),
                         data.size(),
                         expected.data(),
                         &n) != nullptr);
            CHECK(mac(key, data) == expected);
        }
    }
}
