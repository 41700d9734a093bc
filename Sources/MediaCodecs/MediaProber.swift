import MediaCore

/// The `probe` stage: path → ``MediaInfo`` from headers only (design.md §1).
///
/// Order: map the file, sniff the format from magic bytes, then the format's header probe, which
/// checks the limits before anything is allocated and the container's integrity before trusting it.
public enum MediaProber {
    public static func probe(path: String, options: ProbeOptions = ProbeOptions()) throws(MediaError) -> MediaInfo {
        let file = try MappedFile(path: path)
        var context = ProbeContext(path: path, options: options)
        guard file.size > 0 else { throw context.error(.corruptInput, "file is empty (0 bytes)") }
        let sniffed = Sniffer.sniff(file.view)
        switch sniffed.format {
        case .png: return try PNGProbe.probe(file, &context)
        case .jpeg: return try JPEGProbe.probe(file, &context)
        case .webp: return try WebPProbe.probe(file, &context)
        case .gif: return try GIFProbe.probe(file, &context)
        case .mp4, .mpeg, .mov, .avi, .flv, .webm, .wmv, .threeGP: return try VideoProbe.probe(file, sniffed.format, &context)
        case .unsupported:
            let what = sniffed.detail ?? "unrecognised content"
            throw context.error(.unsupportedFormat, "content is \(what), not an image or video format the API accepts")
        }
    }
}
