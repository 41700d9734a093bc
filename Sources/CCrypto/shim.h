// OpenSSL's libcrypto, for SHA-256 only (EVP digests use the CPU's SHA extensions when present).
#include <openssl/evp.h>
