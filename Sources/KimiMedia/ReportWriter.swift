import Foundation
import MediaCore

/// Writes the batch report: one self-contained XHTML page (thumbnails embedded as data URLs, no
/// external files), the summary on top, then each input — a thumbnail per image, a strip of frames
/// per video — with sizes, bytes and tokens, and the errors listed. Well-formed XML, so it parses
/// with any XML parser (the tests do).
public struct ReportWriter: Sendable {
    public var outputFolder: String
    /// Thumbnails fit this square; frames per video strip.
    public var thumbnailSide: Int
    public var framesPerStrip: Int

    public init(outputFolder: String, thumbnailSide: Int = 160, framesPerStrip: Int = 8) {
        self.outputFolder = outputFolder
        self.thumbnailSide = thumbnailSide
        self.framesPerStrip = framesPerStrip
    }

    public func write(entries: [ManifestEntry], summary: BatchSummary, pricePerMillion: Double? = nil, to path: String) throws {
        let html = render(entries: entries, summary: summary, pricePerMillion: pricePerMillion)
        try AtomicFile.write(Array(html.utf8), to: path)
    }

    func thumbnail(_ relative: String) -> String? {
        guard let options = try? ImageOptions(maxSide: thumbnailSide, format: .jpeg, quality: 70),
              let prepared = try? Preparer(imageOptions: options).prepare(image: outputFolder + "/" + relative) else { return nil }
        return "data:\(prepared.image.format.mimeType);base64," + Data(prepared.image.bytes).base64EncodedString()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if let ascii = c.asciiValue, ascii < 0x20, c != "\n", c != "\t" { out += "?" } else { out.append(c) }
            }
        }
        return out
    }

    func render(entries: [ManifestEntry], summary: BatchSummary, pricePerMillion: Double?) -> String {
        let e = Self.escape
        var html = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="UTF-8"/>
            <title>kimi-media report</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
            h1{font-size:20px}table.summary td{padding:2px 12px 2px 0}
            .grid{display:flex;flex-wrap:wrap;gap:12px}
            .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;width:180px;overflow:hidden}
            .card.video{width:auto;max-width:100%}.card.error{border-color:#c33;background:#fff5f5}
            .strip{display:flex;gap:4px}.strip img{height:60px}
            .name{font-weight:600;word-break:break-all}.meta{color:#555;font-size:12px}
            </style></head><body>
            <h1>kimi-media report</h1>

            """
        html += "<table class=\"summary\" id=\"summary\">"
        let rows: [(String, String)] = [
            ("prepared", "\(summary.ok) (\(summary.unchanged) already API-ready, copied unchanged)"), ("failed", "\(summary.failed)"), ("skipped", "\(summary.skipped)"),
            ("bytes in → out", "\(BatchSummary.bytes(summary.bytesIn)) → \(BatchSummary.bytes(summary.bytesOut))"),
            ("tokens (offline)", "\(summary.imageTokens) image + \(summary.videoTokens) video = \(summary.tokens)"),
        ] + (summary.errors.isEmpty ? [] : [("errors by code", summary.errors.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))])
          + (pricePerMillion.map { [("estimated input cost", String(format: "%.4f at %.4g per million tokens", summary.cost(pricePerMillion: $0), $0))] } ?? [])
        for (k, v) in rows { html += "<tr><td>\(e(k))</td><td>\(e(v))</td></tr>" }
        html += "</table>\n"
        html += "<h2>Inputs</h2><div class=\"grid\" id=\"inputs\">\n"
        // Prepared inputs first, in input order, then failures; files that are not media at all
        // (notes, sidecars) are listed apart at the end, not as cards.
        let skipped = entries.filter { $0.status == .skipped }
        for entry in entries.filter({ $0.status == .ok }) + entries.filter({ $0.status == .error }) {
            switch entry.status {
            case .ok where entry.kind == .video:
                let frames = entry.outputs.filter { $0.timestampSeconds != nil }
                let step = max(1, frames.count / max(1, framesPerStrip))
                let picked = stride(from: 0, to: frames.count, by: step).prefix(framesPerStrip).map { frames[$0] }
                let file = entry.outputs.first { $0.timestampSeconds == nil }
                html += "<div class=\"card video\"><div class=\"name\">\(e(entry.source))</div><div class=\"strip\">"
                for frame in picked {
                    if let src = thumbnail(frame.path) {
                        html += "<img src=\"\(src)\" alt=\"\(e(String(format: "%.2f s", frame.timestampSeconds ?? 0)))\"/>"
                    }
                }
                html += "</div><div class=\"meta\">"
                let parts = entry.outputs.filter { $0.segment != nil }
                if parts.count > 1 {
                    html += "\(parts.count) parts of ≤ \(parts.map(\.tokens).max() ?? 0) tokens, \(parts[0].width)×\(parts[0].height), "
                        + e(BatchSummary.bytes(Int64(parts.map(\.bytes).reduce(0, +))))
                } else if let file {
                    html += "\(e(file.format.rawValue)) \(file.width)×\(file.height), \(e(BatchSummary.bytes(Int64(file.bytes))))"
                }
                html += "; \(counted(frames.count, "frame")); \(counted(entry.tokens ?? 0, "token"))</div></div>\n"
            case .ok:
                let output = entry.outputs.first
                html += "<div class=\"card image\">"
                if let output, let src = thumbnail(output.path) { html += "<img src=\"\(src)\" alt=\"\(e(output.path))\"/>" }
                html += "<div class=\"name\">\(e(entry.source))</div><div class=\"meta\">"
                if let output {
                    html += "\(e(output.format.rawValue)) \(output.width)×\(output.height), \(e(BatchSummary.bytes(Int64(output.bytes))))"
                }
                html += "; \(entry.tokens ?? 0) tokens\(entry.passthrough ? "; the original, already API-ready" : "")</div></div>\n"
            case .error:
                html += "<div class=\"card error\"><div class=\"name\">\(e(entry.source))</div><div class=\"meta\">"
                    + "\(e(entry.error?.code.rawValue ?? "error")): \(e(entry.error?.message ?? ""))</div></div>\n"
            case .skipped:
                break
            }
        }
        html += "</div>\n"
        if !skipped.isEmpty {
            html += "<details id=\"skipped\"><summary>\(skipped.count) skipped (not images or videos)</summary><ul>"
            for entry in skipped {
                html += "<li>\(e(entry.source)): \(e(entry.diagnostics.first?.message ?? "skipped"))</li>"
            }
            html += "</ul></details>\n"
        }
        if !summary.errors.isEmpty {
            html += "<h2>Errors</h2><ul id=\"errors\">"
            for entry in entries where entry.status == .error {
                html += "<li><code>\(e(entry.error?.code.rawValue ?? "error"))</code> \(e(entry.error?.message ?? entry.source))</li>"
            }
            html += "</ul>\n"
        }
        html += "</body></html>\n"
        return html
    }
}
