// acme renew (acme.hpp): when a certificate is due (renewal.hpp), and the renewal itself
// through issue_acme_certificate() with the remembered settings.
#include "renewal.hpp"

#include "acme_client.hpp"
#include "jws.hpp"
#include "ossl.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>
#include <openssl/x509v3.h>

#include <random>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

std::optional<std::string> ari_certificate_id(const Certificate& certificate) {
    X509* x = certificate.native();
    const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(x);
    if (keyid == nullptr || ASN1_STRING_length(keyid) <= 0) {
        return std::nullopt;
    }
    const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
    // DER content octets: a leading 0x00 when the top bit is set (the value is positive).
    std::string serial_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                             static_cast<std::size_t>(ASN1_STRING_length(serial)));
    if (!serial_bytes.empty() && (static_cast<unsigned char>(serial_bytes.front()) & 0x80U) != 0) {
        serial_bytes.insert(serial_bytes.begin(), '\0');
    }
    const std::string id(reinterpret_cast<const char*>(ASN1_STRING_get0_data(keyid)),
                         static_cast<std::size_t>(ASN1_STRING_length(keyid)));
    return base64url(id) + "." + base64url(serial_bytes);
}

RenewalWindow parse_renewal_info(const json& body, std::string_view server) {
    const auto bad = [&](std::string_view why) {
        return Error(Errc::network,
                     fmt::format("the renewalInfo of {} is not RFC 9773's: {}", server, why));
    };
    if (!body.is_object() || !body.contains("suggestedWindow") ||
        !body.at("suggestedWindow").is_object()) {
        throw bad("no suggestedWindow");
    }
    const json& w = body.at("suggestedWindow");
    RenewalWindow out;
    try {
        out.start = parse_time(w.at("start").get<std::string>());
        out.end = parse_time(w.at("end").get<std::string>());
    } catch (const json::exception&) {
        throw bad("start or end missing");
    } catch (const Error& e) {
        throw bad(e.what());
    }
    if (out.end <= out.start) {
        throw bad("the window ends before it starts");
    }
    if (const auto it = body.find("explanationURL"); it != body.end() && it->is_string()) {
        out.explanation_url = it->get<std::string>();
    }
    return out;
}

AcmeRenewalDue renewal_due(const Certificate& certificate,
                           const std::optional<RenewalWindow>& window,
                           bool revoked,
                           TimePoint now,
                           double point) {
    AcmeRenewalDue d;
    if (revoked) {
        d.due = true;
        d.renew_at = now;
        d.reason = "the certificate was revoked";
        return d;
    }
    if (window) {
        d.from_ari = true;
        d.explanation_url = window->explanation_url;
        const auto span = window->end - window->start;
        d.renew_at = window->start + std::chrono::duration_cast<TimePoint::duration>(span * point);
        d.due = now >= d.renew_at;
        d.reason = fmt::format(
            "the CA's renewal window is {} to {}{}",
            format_time(window->start),
            format_time(window->end),
            d.due ? "" : fmt::format("; this certificate renews from {}", format_time(d.renew_at)));
        return d;
    }
    const TimePoint not_before = certificate.not_before();
    const TimePoint not_after = certificate.not_after();
    d.renew_at = not_after - (not_after - not_before) / 3;
    d.due = now >= d.renew_at;
    d.reason = d.due ? fmt::format("a third of its lifetime or less is left (it expires {})",
                                   format_time(not_after))
                     : fmt::format("more than a third of its lifetime is left: due from {}",
                                   format_time(d.renew_at));
    return d;
}

}  // namespace detail

namespace {

// The settings the renewal uses: remembered, then overridden by the request.
AcmeEntrySettings settings_for(const Store& store, const AcmeRenewRequest& r, const Entry& entry) {
    std::optional<AcmeEntrySettings> remembered = acme_entry_settings(store, r.name);
    AcmeEntrySettings s;
    if (remembered) {
        s = std::move(*remembered);
    } else {
        if (!r.server || !r.challenge) {
            throw Error(Errc::not_found,
                        fmt::format("entry '{}' was not issued through certtool acme: give "
                                    "--server and --challenge to renew it through ACME, or "
                                    "certtool acme issue {} --force ...",
                                    r.name,
                                    r.name));
        }
        s.name = r.name;
        s.common_name = entry.certificate.subject_name().common_name;
        for (const auto& san : entry.certificate.subject_alt_names()) {
            if (san.kind == SubjectAltName::Kind::dns && san.value != s.common_name) {
                s.sans.push_back("DNS:" + san.value);
            }
        }
        s.key_type = entry.key.type().value_or(k_default_key_type);
    }
    if (r.server) {
        s.server = *r.server;
    }
    if (r.ca_bundle) {
        s.ca_bundle = r.ca_bundle->empty() ? std::nullopt : r.ca_bundle;
    }
    if (r.common_name) {
        s.common_name = *r.common_name;
    }
    if (r.sans) {
        s.sans = *r.sans;
    }
    if (r.key_type) {
        s.key_type = *r.key_type;
        s.reuse_key = false;
    }
    if (r.reuse_key) {
        s.reuse_key = *r.reuse_key;
    }
    if (r.challenge) {
        s.challenge = *r.challenge;
    }
    if (r.preferred_chain) {
        s.preferred_chain = *r.preferred_chain;
    }
    return s;
}

// The CA's window for the certificate, when its directory offers renewalInfo; nullopt (the
// lifetime rule) when it does not or cannot answer (noted in `note`).
std::optional<detail::RenewalWindow> ari_window(detail::AcmeClient& client,
                                                const std::optional<std::string>& id,
                                                std::string& note) {
    const std::string& base = client.directory().renewal_info;
    if (base.empty() || !id) {
        return std::nullopt;
    }
    try {
        const auto r = client.get("renewalInfo", base + (base.ends_with('/') ? "" : "/") + *id);
        return detail::parse_renewal_info(r.body, client.server());
    } catch (const Error& e) {
        note = fmt::format("renewalInfo unavailable, the lifetime rule applies: {}", e.what());
        return std::nullopt;
    }
}

}  // namespace

AcmeRenewResult renew_acme_certificate(Store& store,
                                       const AcmeRenewRequest& request,
                                       TimePoint now) {
    Store::validate_name(request.name);
    const Entry entry = store.get(request.name);
    const AcmeEntrySettings s = settings_for(store, request, entry);

    AcmeConnection connection;
    connection.server = resolve_acme_server(s.server);
    connection.ca_bundle = s.ca_bundle;
    connection.timeout = request.timeout;
    detail::AcmeClient client{connection};
    const std::optional<std::string> id = detail::ari_certificate_id(entry.certificate);
    std::string note;
    const auto window = ari_window(client, id, note);
    double point = 0;
    if (request.window_point) {
        point = *request.window_point;
    } else {
        std::random_device rd;
        point = std::uniform_real_distribution<double>{0.0, 1.0}(rd);
    }
    AcmeRenewResult result;
    result.name = request.name;
    result.due = detail::renewal_due(entry.certificate, window, !s.revoked.empty(), now, point);
    if (request.force && !result.due.due) {
        result.due.due = true;
        result.due.reason = "--force (" + result.due.reason + ")";
    }
    if (!result.due.due) {
        return result;
    }

    AcmeIssueRequest issue;
    issue.connection = connection;
    issue.name = request.name;
    issue.subject.common_name = s.common_name;
    issue.sans = s.sans;
    issue.key_type = s.key_type;
    if (s.reuse_key) {
        issue.key = entry.key;
    }
    issue.challenge = s.challenge;
    issue.preferred_chain = s.preferred_chain;
    if (window && id) {
        issue.replaces = *id;
    }
    issue.trust = request.trust;
    issue.remedies = request.remedies;
    issue.force = true;
    issue.deadline = request.deadline;
    result.issued = detail::issue_with(client, store, issue, now);
    if (!note.empty()) {
        result.issued->notes.insert(result.issued->notes.begin(), note);
    }
    return result;
}

}  // namespace certtool
