#include "ossl.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <array>

namespace certtool::ossl {

void openssl_free(void* p) noexcept {
    OPENSSL_free(p);
}

void X509CrlStackFree::operator()(STACK_OF(X509_CRL) * s) const noexcept {
    sk_X509_CRL_pop_free(s, X509_CRL_free);
}

void X509StackFree::operator()(STACK_OF(X509) * s) const noexcept {
    sk_X509_pop_free(s, X509_free);
}

void SafebagStackFree::operator()(STACK_OF(PKCS12_SAFEBAG) * s) const noexcept {
    sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
}

void Pkcs7StackFree::operator()(STACK_OF(PKCS7) * s) const noexcept {
    sk_PKCS7_pop_free(s, PKCS7_free);
}

void ExtensionStackFree::operator()(STACK_OF(X509_EXTENSION) * s) const noexcept {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}

std::string drain_errors() {
    std::string out;
    const char* func = nullptr;
    const char* data = nullptr;
    int flags = 0;
    unsigned long err = 0;
    while ((err = ERR_get_error_all(nullptr, nullptr, &func, &data, &flags)) != 0) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof buf);
        if (!out.empty()) {
            out += "; ";
        }
        // Use the reason text only: "error:0480006C:PEM routines::no start line" -> "no start
        // line".
        const char* reason = ERR_reason_error_string(err);
        if (func != nullptr && *func != '\0') {
            out += func;
            out += ": ";
        }
        out += reason != nullptr ? reason : buf;
        if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
            out += " (";
            out += data;
            out += ")";
        }
    }
    return out;
}

int last_error_reason() noexcept {
    const unsigned long err = ERR_peek_last_error();
    return err == 0 ? 0 : ERR_GET_REASON(err);
}

void clear_errors() noexcept {
    ERR_clear_error();
}

void throw_error(Errc code, std::string_view what) {
    std::string detail = drain_errors();
    std::string msg{what};
    if (!detail.empty()) {
        msg += ": ";
        msg += detail;
    }
    throw Error(code, msg);
}

BioPtr mem_bio(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error(Errc::invalid_argument, "input larger than 2 GiB");
    }
    return BioPtr{
        check_ptr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), "BIO_new_mem_buf")};
}

BioPtr mem_bio() {
    return BioPtr{check_ptr(BIO_new(BIO_s_mem()), "BIO_new")};
}

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == nullptr) {
        return {};
    }
    return {data, static_cast<std::size_t>(len)};
}

namespace {

// Providers loaded explicitly hold a reference OpenSSL's exit-time cleanup does not drop;
// unload them from a function-local static, whose destructor runs before that cleanup (it was
// registered later, and atexit runs in reverse order).
class LoadedProviders {
public:
    LoadedProviders()
        // Loading any provider explicitly stops the implicit default one, so load both.
        : m_default(OSSL_PROVIDER_load(nullptr, "default")),
          m_legacy(OSSL_PROVIDER_load(nullptr, "legacy")) {
        ERR_clear_error();
    }

    LoadedProviders(const LoadedProviders&) = delete;
    LoadedProviders& operator=(const LoadedProviders&) = delete;
    LoadedProviders(LoadedProviders&&) = delete;
    LoadedProviders& operator=(LoadedProviders&&) = delete;

    ~LoadedProviders() {
        if (m_legacy != nullptr) {
            OSSL_PROVIDER_unload(m_legacy);
        }
        if (m_default != nullptr) {
            OSSL_PROVIDER_unload(m_default);
        }
    }

    [[nodiscard]] bool ok() const noexcept { return m_default != nullptr && m_legacy != nullptr; }

private:
    OSSL_PROVIDER* m_default;
    OSSL_PROVIDER* m_legacy;
};

}  // namespace

bool load_legacy_provider() noexcept {
    static const LoadedProviders providers;  // thread-safe, once per process
    return providers.ok();
}

std::string name_to_string(const X509_NAME* name) {
    auto bio = mem_bio();
    constexpr unsigned long flags =
        (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN;
    if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
        clear_errors();
        return "(unprintable name)";
    }
    return bio_to_string(bio.get());
}

std::string name_to_oneline(const X509_NAME* name) {
    auto bio = mem_bio();
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    return bio_to_string(bio.get());
}

std::string sha256(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    check1(EVP_Digest(data.data(), data.size(), md.data(), &length, EVP_sha256(), nullptr),
           "SHA-256");
    return {reinterpret_cast<const char*>(md.data()), length};
}

std::string to_hex(std::string_view bytes) {
    static constexpr std::string_view k_hex = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const auto b = static_cast<unsigned char>(ch);
        out += k_hex[b >> 4U];
        out += k_hex[b & 0x0fU];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    return to_hex(sha256(data));
}

void hmac_sha256(std::string_view key, std::string_view data, std::string& out) {
    out.assign(32, '\0');
    std::size_t len = 0;
    check_ptr(EVP_Q_mac(nullptr,
                        "HMAC",
                        nullptr,
                        "SHA256",
                        nullptr,
                        key.data(),
                        key.size(),
                        reinterpret_cast<const unsigned char*>(data.data()),
                        data.size(),
                        reinterpret_cast<unsigned char*>(out.data()),
                        out.size(),
                        &len),
              "computing HMAC-SHA256");
}

}  // namespace certtool::ossl
