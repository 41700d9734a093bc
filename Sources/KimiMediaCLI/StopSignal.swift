import Dispatch
import Foundation
import KimiMedia
import Synchronization

/// SIGINT and SIGTERM during a batch: the first asks the batch to stop starting files (those in
/// flight finish and are recorded); a second SIGINT exits at once (130). Handlers are removed when
/// the command ends.
final class StopSignal: @unchecked Sendable {
    private let flag = Atomic<Int>(0)
    private var sources: [any DispatchSourceSignal] = []  // touched by install/uninstall on the command's task only

    var requested: Bool { flag.load(ordering: .relaxed) > 0 }

    func install() {
        var made: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let count = flag.add(1, ordering: .relaxed).newValue
                if count == 1 {
                    FileHandle.standardError.write(Data("\nstopping: finishing the files in flight (again to quit now)…\n".utf8))
                } else {
                    _exit(130)
                }
            }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    func uninstall() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// Progress of a batch: on a terminal a live line (files done, files/s, ETA, bytes in → out,
/// errors); otherwise a plain line every 5 seconds; nothing with --quiet.
final class ProgressLine: @unchecked Sendable {
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let start = Date()
    private var lastPlain = Date()
    private var done = 0, failed = 0, total: Int?
    private var bytesIn: Int64 = 0, bytesOut: Int64 = 0
    private var shown = false
    private let lock = NSLock()

    init(quiet: Bool) { self.quiet = quiet }

    func plan(_ toDo: Int) { lock.withLock { total = toDo } }

    func add(_ entry: ManifestEntry) {
        lock.withLock {
            done += 1
            if entry.status == .error { failed += 1 }
            bytesIn += entry.sourceBytes ?? 0
            bytesOut += Int64(entry.outputs.map(\.bytes).reduce(0, +))
        }
    }

    private var text: String {
        let seconds = max(0.001, Date().timeIntervalSince(start))
        let rate = Double(done) / seconds
        var counts = "\(done)"
        var eta = ""
        if let total {
            counts += "/\(total)"
            if rate > 0 && done < total { eta = String(format: ", ETA %.0f s", Double(total - done) / rate) }
        }
        return String(format: "%@ files, %.1f/s%@, %@ → %@, %d errors", counts, rate, eta,
                      BatchSummary.bytes(bytesIn), BatchSummary.bytes(bytesOut), failed)
    }

    func show() {
        guard !quiet else { return }
        lock.withLock {
            if terminal {
                Output.current.standardError("\r\u{1B}[2K" + text)
                shown = true
            } else if Date().timeIntervalSince(lastPlain) >= 5 {
                Output.current.standardError("progress: " + text + "\n")
                lastPlain = Date()
            }
        }
    }

    func clear() {
        lock.withLock {
            if shown && terminal { Output.current.standardError("\r\u{1B}[2K") }
            shown = false
        }
    }
}
