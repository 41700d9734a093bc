#if canImport(Glibc)
import Glibc
#endif
import KimiMediaCLI

// A file-size limit (RLIMIT_FSIZE, `ulimit -f`) or a full quota must fail the write that passes
// it (EFBIG, an `io` error on that file, the batch going on), not kill the process with SIGXFSZ.
signal(SIGXFSZ, SIG_IGN)
let status = await KimiMediaCommand.main(arguments: Array(CommandLine.arguments.dropFirst()))
// FFmpeg may still be loading in the background (a video was named, the run ended first): exiting
// now would run destructors beside its libraries' constructors, which aborted 1 short run in 500.
KimiMediaCommand.finishBackgroundWork()
exit(status)
