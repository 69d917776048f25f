// A temporary store plus a throwaway CA made with the openssl CLI, for tests of the binary.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace certtool::test {

class CliFixture {
public:
    TempDir dir;
    std::string store = (dir / "store").string();

    RunResult ct(std::vector<std::string> args, RunOptions options = {}) const {
        args.insert(args.end(), {"--store", store});
        return run_certtool(args, options);
    }

    // ct() that must succeed.
    std::string ok(const std::vector<std::string>& args, const RunOptions& options = {}) const {
        const RunResult r = ct(args, options);
        INFO("certtool stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    }

    std::string path(const std::string& name) const { return (dir / name).string(); }

    // A self-signed certificate made by the openssl CLI: `key` and `cert` in dir. `alg` is
    // "ec" (P-256) or an openssl -newkey spec such as "rsa:2048".
    void self_signed(const std::string& alg,
                     const std::string& key,
                     const std::string& cert,
                     const std::string& subject,
                     const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"req", "-x509", "-newkey", alg};
        if (alg == "ec") {
            args.insert(args.end(), {"-pkeyopt", "ec_paramgen_curve:P-256"});
        }
        args.insert(args.end(),
                    {"-nodes",
                     "-keyout",
                     path(key),
                     "-out",
                     path(cert),
                     "-days",
                     "3650",
                     "-subj",
                     subject});
        args.insert(args.end(), extra.begin(), extra.end());
        openssl(args);
    }

    // root.pem/root.key and inter.pem/inter.key (P-256) in dir.
    void make_ca() const {
        self_signed("ec",
                    "root.key",
                    "root.pem",
                    "/CN=CLI Test Root",
                    {"-addext",
                     "basicConstraints=critical,CA:TRUE",
                     "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"});
        openssl({"req",
                 "-newkey",
                 "ec",
                 "-pkeyopt",
                 "ec_paramgen_curve:P-256",
                 "-nodes",
                 "-keyout",
                 path("inter.key"),
                 "-out",
                 path("inter.csr"),
                 "-subj",
                 "/CN=CLI Test Issuing CA"});
        write_file(dir / "ca.ext",
                   "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        openssl({"x509",
                 "-req",
                 "-in",
                 path("inter.csr"),
                 "-CA",
                 path("root.pem"),
                 "-CAkey",
                 path("root.key"),
                 "-CAcreateserial",
                 "-days",
                 "1825",
                 "-extfile",
                 path("ca.ext"),
                 "-out",
                 path("inter.pem")});
    }

    // Entry "mail" (P-256, mail.example.com) and its CSR in mail.csr.
    void mail_with_csr() const {
        ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
        ok({"export-csr", "mail", "-o", path("mail.csr")});
    }

    // import-signed NAME --cert CERT with make_ca()'s intermediate, checked against its root;
    // `extra` is appended (e.g. "--json"). Returns stdout.
    std::string import_with_chain(const std::string& name,
                                  const std::string& cert,
                                  const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"import-signed",
                                      name,
                                      "--cert",
                                      cert,
                                      "--intermediate",
                                      path("inter.pem"),
                                      "--trust",
                                      path("root.pem")};
        args.insert(args.end(), extra.begin(), extra.end());
        return ok(args);
    }

    // The CA signs a CSR (keeping its requested extensions) into `out`.
    void sign_csr(const std::string& csr,
                  const std::string& out,
                  const std::string& days = "397") const {
        write_file(dir / "leaf.ext",
                   "basicConstraints=critical,CA:FALSE\nauthorityKeyIdentifier=keyid\n");
        openssl({"x509",
                 "-req",
                 "-in",
                 csr,
                 "-CA",
                 path("inter.pem"),
                 "-CAkey",
                 path("inter.key"),
                 "-CAcreateserial",
                 "-days",
                 days,
                 "-copy_extensions",
                 "copy",
                 "-extfile",
                 path("leaf.ext"),
                 "-out",
                 out});
    }
};

}  // namespace certtool::test
