#include "optional_library.hpp"
#include "text.hpp"

#include <certtool/error.hpp>
#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

namespace certtool {

namespace {

bool valid_label(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
    }
    return std::all_of(label.begin(), label.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
    });
}

// libidn2's functions, from libidn2.so.0 opened for the first name that is not ASCII
// (optional_library.hpp says why it is not linked).
struct Idn2Api {
    decltype(&idn2_to_ascii_8z) to_ascii_8z{};
    decltype(&idn2_free) free{};
    decltype(&idn2_strerror) strerror{};
};

const Idn2Api& idn2() {
    static const Idn2Api api = [] {
        const detail::OptionalLibrary lib{
            "libidn2.so.0", "an internationalised domain name", "libidn2-0"};
        Idn2Api a;
        lib.bind(a.to_ascii_8z, "idn2_to_ascii_8z");
        lib.bind(a.free, "idn2_free");
        lib.bind(a.strerror, "idn2_strerror");
        return a;
    }();
    return api;
}

}  // namespace

bool is_valid_host_name(std::string_view name, bool allow_wildcard) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    if (allow_wildcard && name.substr(0, 2) == "*.") {
        name.remove_prefix(2);
        if (name.find('.') == std::string_view::npos) {
            return false;
        }
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t dot = std::min(name.find('.', start), name.size());
        if (!valid_label(name.substr(start, dot - start))) {
            return false;
        }
        start = dot + 1;
    }
    return true;
}

std::string to_a_label(std::string_view name) {
    if (std::all_of(name.begin(), name.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x80;
        })) {
        return std::string{name};
    }
    const bool wildcard = name.substr(0, 2) == "*.";
    const std::string input{wildcard ? name.substr(2) : name};
    const Idn2Api& api = idn2();
    char* raw = nullptr;
    const int rc = api.to_ascii_8z(
        input.c_str(), &raw, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | IDN2_USE_STD3_ASCII_RULES);
    const std::unique_ptr<char, decltype(api.free)> output{raw, api.free};
    if (rc != IDN2_OK) {
        throw Error(Errc::invalid_argument,
                    fmt::format("'{}' is not a valid internationalised domain name ({}): check "
                                "the spelling, or give its A-label form (xn--...)",
                                name,
                                api.strerror(rc)));
    }
    std::string out = (wildcard ? "*." : "") + std::string{output.get()};
    return out;
}

std::optional<std::string> canonical_ip(std::string_view text) {
    const std::string s{text};
    std::array<unsigned char, 16> buf{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
        return std::string{inet_ntop(AF_INET, buf.data(), out.data(), out.size())};
    }
    if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
        return std::string{inet_ntop(AF_INET6, buf.data(), out.data(), out.size())};
    }
    return std::nullopt;
}

bool dns_name_matches(std::string_view presented, std::string_view reference) {
    if (!reference.empty() && reference.back() == '.') {
        reference.remove_suffix(1);
    }
    if (!presented.empty() && presented.back() == '.') {
        presented.remove_suffix(1);
    }
    if (presented.empty() || reference.empty()) {
        return false;
    }
    if (presented.find('*') == std::string_view::npos) {
        return text::iequals(presented, reference);
    }
    // Only "*." followed by at least two labels, and no other '*'.
    if (presented.substr(0, 2) != "*.") {
        return false;
    }
    const std::string_view base = presented.substr(2);
    if (base.find('*') != std::string_view::npos || base.find('.') == std::string_view::npos) {
        return false;
    }
    const std::size_t dot = reference.find('.');
    if (dot == 0 || dot == std::string_view::npos) {
        return false;  // the wildcard stands for exactly one non-empty label
    }
    return text::iequals(reference.substr(dot + 1), base);
}

NameMatch match_name(const Certificate& cert,
                     const SubjectAltName& reference,
                     CnFallback fallback) {
    NameMatch out{reference, false, {}};
    const auto sans = cert.subject_alt_names();
    using Kind = SubjectAltName::Kind;
    switch (reference.kind) {
        case Kind::dns: {
            bool any_dns = false;
            for (const auto& san : sans) {
                if (san.kind != Kind::dns) {
                    continue;
                }
                any_dns = true;
                if (dns_name_matches(san.value, reference.value)) {
                    return {reference, true, "DNS:" + san.value};
                }
            }
            if (!any_dns && fallback == CnFallback::when_no_dns_name) {
                const std::string cn = cert.subject_name().common_name;
                if (dns_name_matches(cn, reference.value)) {
                    return {reference, true, "CN=" + cn};
                }
            }
            return out;
        }
        case Kind::ip: {
            const auto want = canonical_ip(reference.value);
            for (const auto& san : sans) {
                if (san.kind == Kind::ip && want && canonical_ip(san.value) == want) {
                    return {reference, true, "IP:" + san.value};
                }
            }
            return out;
        }
        case Kind::email: {
            const auto at = reference.value.rfind('@');
            for (const auto& san : sans) {
                if (san.kind != Kind::email) {
                    continue;
                }
                const auto sat = san.value.rfind('@');
                if (at != std::string::npos && sat != std::string::npos &&
                    san.value.compare(0, sat, reference.value, 0, at) == 0 &&
                    text::iequals(std::string_view{san.value}.substr(sat + 1),
                                  std::string_view{reference.value}.substr(at + 1))) {
                    return {reference, true, "email:" + san.value};
                }
            }
            return out;
        }
    }
    return out;
}

}  // namespace certtool
