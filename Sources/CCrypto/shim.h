// OpenSSL's libcrypto, for SHA-256 only. The one-algorithm functions (SHA256_Init/Update/Final) run
// the same CPU-specific code as the EVP digest (SHA extensions, AVX2), without OpenSSL 3's
// provider start-up: EVP's first digest reads openssl.cnf and loads the default provider, 5.9 M
// instructions, more than a probe of a small file's whole run. OpenSSL 3 marks them deprecated
// (for FIPS providers) but keeps them; the warning is silenced here, for them alone.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
