#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import KimiMediaCLI

// A file-size limit (RLIMIT_FSIZE, `ulimit -f`) or a full quota must fail the write that passes
// it (EFBIG, an `io` error on that file, the batch going on), not kill the process with SIGXFSZ.
signal(SIGXFSZ, SIG_IGN)

/// The command runs as a task while this thread waits for it. Not a top-level `await`: Swift's
/// async main parks the main thread in `dispatch_main()`, whose `sigsuspend` on a constant mask
/// valgrind 3.19 cannot follow (it writes into the mask and dies): `make bench-check`'s callgrind
/// runs failed whenever the main thread got there before the command ended. Nothing here needs the
/// main queue.
func runCommand() -> Int32 {
    final class Status: @unchecked Sendable { var value: Int32 = 0 }
    let status = Status(), done = DispatchSemaphore(value: 0)
    let arguments = Array(CommandLine.arguments.dropFirst())
    Task.detached {
        status.value = await KimiMediaCommand.main(arguments: arguments)
        done.signal()
    }
    done.wait()
    return status.value
}

let status = runCommand()
// FFmpeg may still be loading in the background (a video was named, the run ended first): exiting
// now would run destructors beside its libraries' constructors, which aborted 1 short run in 500.
KimiMediaCommand.finishBackgroundWork()
exit(status)
