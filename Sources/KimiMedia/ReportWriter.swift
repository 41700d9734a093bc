import Foundation
import MediaCore

/// Writes the batch report: one self-contained XHTML page (thumbnails embedded as data URLs), the
/// summary on top, then the errors, then each input — a thumbnail per image, a strip of frames per
/// video — with sizes, bytes, tokens, its notes (budgets, splits, damage) and links to its output
/// files (relative to the report, so the folder moves whole). Well-formed XML, so it parses with any
/// XML parser (the tests do).
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
        // Links to the outputs are relative to where the report lies, so the folder can be moved whole.
        let from = URL(fileURLWithPath: (path as NSString).deletingLastPathComponent).standardizedFileURL
        let prefix = ManifestMerger.relativePrefix(from: from, to: URL(fileURLWithPath: outputFolder).standardizedFileURL)
        let html = render(entries: entries, summary: summary, pricePerMillion: pricePerMillion, linkPrefix: prefix)
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

    /// A path that may break after each `/` (and nowhere inside a word).
    static func breakable(_ path: String) -> String {
        escape(path).replacingOccurrences(of: "/", with: "/<wbr/>")
    }

    /// A link to an output (its path relative to the output folder) from the report.
    func link(_ relative: String, prefix: String, label: String? = nil) -> String {
        let href = (prefix + relative).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? prefix + relative
        return "<a href=\"\(Self.escape(href))\">\(Self.breakable(label ?? relative))</a>"
    }

    func render(entries: [ManifestEntry], summary: BatchSummary, pricePerMillion: Double?, linkPrefix: String = "") -> String {
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
            .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;width:220px;overflow:hidden}
            .card.video{width:auto;max-width:100%}.card.error{border-color:#c33;background:#fff5f5}
            .strip{display:flex;gap:4px}.strip img{height:60px}
            .name{font-weight:600;overflow-wrap:anywhere}.meta{color:#555;font-size:12px}
            .files,.notes{margin:4px 0 0;padding-left:16px;font-size:12px;overflow-wrap:anywhere}.notes{color:#8a5a00}
            #errors li{margin-bottom:4px;overflow-wrap:anywhere}
            </style></head><body>
            <h1>kimi-media report</h1>

            """
        html += "<table class=\"summary\" id=\"summary\">"
        let rows: [(String, String)] = [
            ("prepared", "\(summary.ok) (\(summary.unchanged) already API-ready, copied unchanged)"), ("failed", "\(summary.failed)"),
            ("skipped", "\(summary.skipped)"),
            ("bytes in → out", "\(BatchSummary.bytes(summary.bytesIn)) → \(BatchSummary.bytes(summary.bytesOut))"),
            ("tokens (offline)", "\(summary.imageTokens) image + \(summary.videoTokens) video = \(summary.tokens)"),
        ] + (summary.errors.isEmpty ? [] : [("errors by code", summary.errors.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))])
          + (pricePerMillion.map { [("estimated input cost", String(format: "%.4f at %.4g per million tokens", summary.cost(pricePerMillion: $0), $0))] } ?? [])
        for (k, v) in rows { html += "<tr><td>\(e(k))</td><td>\(e(v))</td></tr>" }
        html += "</table>\n"
        // The errors come first, where they are seen without scrolling past every card.
        let failed = entries.filter { $0.status == .error }
        if !failed.isEmpty {
            html += "<h2>\(e(counted(failed.count, "error")))</h2><ul id=\"errors\">"
            for entry in failed {
                // The message begins with the file's path, already the line's name.
                let message = entry.error?.message ?? ""
                let said = message.hasPrefix(entry.source + ": ") ? String(message.dropFirst(entry.source.count + 2)) : message
                html += "<li><span class=\"name\">\(Self.breakable(entry.source))</span>: <code>\(e(entry.error?.code.rawValue ?? "error"))</code> "
                    + "\(e(said))</li>"
            }
            html += "</ul>\n"
        }
        html += "<h2>Inputs</h2><div class=\"grid\" id=\"inputs\">\n"
        // Prepared inputs in the manifest's order; files that are not media at all (notes, sidecars)
        // are listed apart at the end, not as cards.
        for entry in entries where entry.status == .ok {
            html += entry.kind == .video ? videoCard(entry, prefix: linkPrefix) : imageCard(entry, prefix: linkPrefix)
        }
        html += "</div>\n"
        let skipped = entries.filter { $0.status == .skipped }
        if !skipped.isEmpty {
            html += "<details id=\"skipped\"><summary>\(e(counted(skipped.count, "file"))) skipped (not images or videos)</summary><ul>"
            for entry in skipped {
                html += "<li>\(Self.breakable(entry.source)): \(e(entry.diagnostics.first?.message ?? "skipped"))</li>"
            }
            html += "</ul></details>\n"
        }
        html += "</body></html>\n"
        return html
    }

    func imageCard(_ entry: ManifestEntry, prefix: String) -> String {
        let e = Self.escape
        let output = entry.outputs.first
        var html = "<div class=\"card image\">"
        if let output, let src = thumbnail(output.path) { html += "<img src=\"\(src)\" alt=\"\(e(output.path))\"/>" }
        html += "<div class=\"name\">\(Self.breakable(entry.source))</div><div class=\"meta\">"
        if let output {
            html += "\(e(output.format.rawValue)) \(output.width)×\(output.height), \(e(BatchSummary.bytes(Int64(output.bytes))))"
        }
        html += "; \(e(counted(entry.tokens ?? 0, "token")))\(entry.passthrough ? "; the original, already API-ready" : "")</div>"
        if let output { html += "<ul class=\"files\"><li>\(link(output.path, prefix: prefix))</li></ul>" }
        return html + notes(entry) + "</div>\n"
    }

    func videoCard(_ entry: ManifestEntry, prefix: String) -> String {
        let e = Self.escape
        let frames = entry.outputs.filter { $0.timestampSeconds != nil }
        let step = max(1, frames.count / max(1, framesPerStrip))
        let picked = stride(from: 0, to: frames.count, by: step).prefix(framesPerStrip).map { frames[$0] }
        let files = entry.outputs.filter { $0.timestampSeconds == nil }
        var html = "<div class=\"card video\"><div class=\"name\">\(Self.breakable(entry.source))</div><div class=\"strip\">"
        for frame in picked {
            if let src = thumbnail(frame.path) {
                html += "<img src=\"\(src)\" alt=\"\(e(String(format: "%.2f s", frame.timestampSeconds ?? 0)))\"/>"
            }
        }
        html += "</div><div class=\"meta\">"
        let parts = files.filter { $0.segment != nil }
        if parts.count > 1 {
            html += "\(parts.count) parts of ≤ \(e(counted(parts.map(\.tokens).max() ?? 0, "token"))), \(parts[0].width)×\(parts[0].height), "
                + e(BatchSummary.bytes(Int64(parts.map(\.bytes).reduce(0, +))))
        } else if let file = files.first {
            html += "\(e(file.format.rawValue)) \(file.width)×\(file.height), \(e(BatchSummary.bytes(Int64(file.bytes))))"
                + (entry.passthrough ? ", the original, already API-ready" : "")
        }
        html += "; \(e(counted(frames.count, "frame"))); \(e(counted(entry.tokens ?? 0, "token")))</div><ul class=\"files\">"
        for file in files {
            let range = file.segment.map { String(format: " (part %d of %d, %.1f–%.1f s, %d tokens)", $0.index, $0.count, $0.startSeconds,
                                                  $0.endSeconds, file.tokens) } ?? ""
            html += "<li>\(link(file.path, prefix: prefix))\(e(range))</li>"
        }
        if let first = frames.first {
            let folder = (first.path as NSString).deletingLastPathComponent
            html += "<li>\(link(folder.isEmpty ? "." : folder + "/", prefix: prefix, label: (folder.isEmpty ? "" : folder + "/") + "frame-*.jpg"))"
                + " (\(e(counted(frames.count, "frame"))))</li>"
        }
        return html + "</ul>" + notes(entry) + "</div>\n"
    }

    /// The file's notes: every diagnostic but the routine record of what was done.
    func notes(_ entry: ManifestEntry) -> String {
        let worth = entry.diagnostics.filter { !$0.isRoutine }
        guard !worth.isEmpty else { return "" }
        return "<ul class=\"notes\">" + worth.map { "<li>\(Self.escape($0.message))</li>" }.joined() + "</ul>"
    }
}
