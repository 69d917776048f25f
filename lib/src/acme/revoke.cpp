// acme revoke (acme.hpp): RFC 8555 7.6, signed with the account key, or with the certificate's
// own key for keyCompromise.
#include "acme_client.hpp"
#include "entries.hpp"
#include "jws.hpp"

#include <certtool/acme.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace certtool {

using nlohmann::json;

namespace {

// RFC 5280 5.3.1 codes; the ones ACME CAs accept from subscribers.
constexpr std::array<std::pair<std::string_view, int>, 5> k_reasons{{{"unspecified", 0},
                                                                     {"keyCompromise", 1},
                                                                     {"affiliationChanged", 3},
                                                                     {"superseded", 4},
                                                                     {"cessationOfOperation", 5}}};

int reason_code(std::string_view reason) {
    for (const auto& [name, code] : k_reasons) {
        if (name == reason) {
            return code;
        }
    }
    throw Error(Errc::invalid_argument,
                fmt::format("'{}' is not a revocation reason: use unspecified, keyCompromise, "
                            "affiliationChanged, superseded or cessationOfOperation",
                            reason));
}

}  // namespace

std::vector<std::string> acme_revocation_reasons() {
    std::vector<std::string> out;
    for (const auto& r : k_reasons) {
        out.emplace_back(r.first);
    }
    return out;
}

AcmeRevokeResult revoke_acme_certificate(Store& store,
                                         const AcmeRevokeRequest& request,
                                         TimePoint now) {
    static_cast<void>(now);
    Store::validate_name(request.name);
    const int code = reason_code(request.reason);
    const Entry entry = store.get(request.name);
    std::optional<AcmeEntrySettings> settings = acme_entry_settings(store, request.name);
    AcmeConnection connection;
    if (request.connection) {
        connection = *request.connection;
    } else if (settings) {
        connection.server = resolve_acme_server(settings->server);
        connection.ca_bundle = settings->ca_bundle;
    } else {
        throw Error(Errc::not_found,
                    fmt::format("entry '{}' was not issued through certtool acme: give --server "
                                "(the CA that issued it) to revoke it",
                                request.name));
    }

    detail::AcmeClient client{connection};
    const json payload{{"certificate", detail::base64url(entry.certificate.to_der())},
                       {"reason", code}};
    const bool with_certificate_key = request.reason == "keyCompromise";
    if (with_certificate_key) {
        // The key itself proves the compromise; no account is needed (RFC 8555 7.6).
        const detail::JwsKey key = detail::jws_key(entry.key);
        client.post("revokeCert", client.directory().revoke_cert, payload, key, "");
    } else {
        const detail::StoredAccount account = detail::registered_account(store, connection);
        const detail::JwsKey key = detail::jws_key(account.key);
        client.post("revokeCert", client.directory().revoke_cert, payload, key, account.url);
    }
    if (settings) {
        settings->revoked = request.reason;
        detail::write_acme_entry(store, *settings);
    }
    return {connection.server,
            entry.certificate.serial_hex(),
            request.reason,
            with_certificate_key,
            client.requests()};
}

}  // namespace certtool
