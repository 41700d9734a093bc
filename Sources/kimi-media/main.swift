#if canImport(Glibc)
import Glibc
#endif
import KimiMediaCLI

// A file-size limit (RLIMIT_FSIZE, `ulimit -f`) or a full quota must fail the write that passes
// it (EFBIG, an `io` error on that file, the batch going on), not kill the process with SIGXFSZ.
signal(SIGXFSZ, SIG_IGN)
exit(await KimiMediaCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
