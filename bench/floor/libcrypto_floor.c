/* What any program pays for using OpenSSL 3.0 as certtool does, before doing any work of its own
 * (bench/bench.sh builds it linked to libssl too, as certtool is, and counts its instructions
 * with callgrind beside the commands):
 *   libcrypto_floor          loads libssl and libcrypto (certtool links both) and exits;
 *   libcrypto_floor fetch    also fetches one algorithm (SHA-256), as every signature,
 *                            signature check or key decode does first: libcrypto 3.0 then
 *                            builds its legacy name tables and the provider name map;
 *   libcrypto_floor parse    parses one certificate (argv[2], PEM), as show and verify do:
 *                            d2i_X509 sets up a public-key decoder, which enumerates every
 *                            key manager and decoder of the default provider. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "fetch") == 0) {
        EVP_MD* md = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (md == NULL) {
            return 1;
        }
        EVP_MD_free(md);
    } else if (argc > 2 && strcmp(argv[1], "parse") == 0) {
        FILE* f = fopen(argv[2], "r");
        X509* cert = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        if (f != NULL) {
            fclose(f);
        }
        if (cert == NULL) {
            return 1;
        }
        X509_free(cert);
    }
    return 0;
}
