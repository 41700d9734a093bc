import Foundation
import KimiMedia

/// The readable form of `probe`: fixed columns, one row per input, the path last so long paths
/// do not break the alignment. OK is `yes` (the API takes the file as it is), `remux` or `encode`
/// (what `prepare` does to make it so), or `no`.
struct ProbeTable {
    private let columns: [(title: String, width: Int)] = [
        ("FORMAT", 6), ("SIZE", 11), ("ORIENT", 6), ("FRAMES", 6), ("SECONDS", 8), ("FPS", 6),
        ("CODEC", 10), ("FLAGS", 5), ("BYTES", 10), ("OK", 6),
    ]

    var header: String { line(columns.map(\.title)) + "PATH" }

    func row(_ result: ProbeResult) -> String {
        guard let info = result.info else {
            let error = result.error.map { "\($0.code.rawValue): \($0.message)" } ?? "failed"
            return "error  " + error
        }
        let ok = info.accepted ? "yes" : info.convert?.rawValue ?? "no"
        let flags = (info.hasAlpha ? "a" : "-") + (info.animated ? "n" : "-") + (info.hasAudio ? "s" : "-")
            + (info.diagnostics.isEmpty ? "-" : "!")
        let cells = [
            info.format.rawValue,
            "\(info.width)x\(info.height)",
            info.kind == .video ? "\(info.rotation)°" : "\(info.exifOrientation.rawValue)",
            info.frameCount.map(String.init) ?? "-",
            info.durationSeconds.map { String(format: "%.3f", $0) } ?? "-",
            info.frameRate.map { String(format: "%.2f", $0) } ?? "-",
            info.videoCodec ?? "-",
            flags,
            String(info.bytes),
            ok,
        ]
        return line(cells) + info.path
    }

    private func line(_ cells: [String]) -> String {
        zip(cells, columns).map { cell, column in
            cell.count >= column.width ? cell + " " : cell + String(repeating: " ", count: column.width - cell.count + 1)
        }.joined()
    }
}
