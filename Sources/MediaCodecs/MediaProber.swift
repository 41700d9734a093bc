import MediaCore

/// The `probe` stage: path → ``MediaInfo`` from headers only (the stages: docs/architecture.md).
///
/// Order: map the file, sniff the format from magic bytes, then the format's header probe, which
/// checks the limits before anything is allocated and the container's integrity before trusting it.
public enum MediaProber {
    public static func probe(path: String, options: ProbeOptions = ProbeOptions()) throws(MediaError) -> MediaInfo {
        let file = try MappedFile(path: path)
        return try file.reading(stage: .probe) { _ throws(MediaError) in try probe(file, path: path, options: options) }
    }

    private static func probe(_ file: MappedFile, path: String, options: ProbeOptions) throws(MediaError) -> MediaInfo {
        var context = ProbeContext(path: path, options: options)
        guard file.size > 0 else { throw context.error(.corruptInput, "file is empty (0 bytes)") }
        let (sniffed, ownSniff, byName) = identify(file.view, path: path)
        var info: MediaInfo
        switch sniffed.format {
        case .png, .jpeg, .webp, .gif:
            do {
                switch sniffed.format {
                case .png: info = try PNGProbe.probe(file, &context)
                case .jpeg: info = try JPEGProbe.probe(file, &context)
                case .webp: info = try WebPProbe.probe(file, &context)
                default: info = try GIFProbe.probe(file, &context)
                }
            } catch where error.code == .corruptInput {
                info = try secondOpinion(file, sniffed.format, error, &context)
            }
        case .heif, .avif: info = try HEIFCodec.probe(file, sniffed.format, &context)
        case .tiff: info = try TIFFCodec.probe(file, &context)
        case .bmp: info = try BMPCodec.probe(file, &context)
        case .ico: info = try IconCodec.probe(file, &context)
        case .qoi, .jxl: info = try FFmpegImage.probe(file, sniffed.format, &context)
        case .otherImage:
            do {
                info = try FFmpegImage.probe(file, sniffed.format, &context)
            } catch where byName {
                // Only the file's extension suggested an image (formats without a signature):
                // content FFmpeg cannot read is not that image, it is unrecognised.
                throw context.error(.unsupportedFormat, "content is \(ownSniff.detail ?? "unrecognised content"), "
                                    + "not an image or video format kimi-media reads")
            }
        case .mp4, .mpeg, .mov, .avi, .flv, .webm, .wmv, .threeGP, .mkv, .mpegts, .ogg, .mxf, .y4m, .otherVideo:
            info = try VideoProbe.probe(file, sniffed.format, &context)
        case .unsupported:
            let what = sniffed.detail ?? "unrecognised content"
            throw context.error(.unsupportedFormat, "content is \(what), not an image or video format kimi-media reads")
        }
        info.convert = Conversion.needed(for: info)
        return info
    }
}

extension MediaProber {
    /// A file of an accepted format that our reader calls corrupt but FFmpeg decodes (e.g. a GIF
    /// whose records giflib cannot walk, which Pillow and FFmpeg read): probed and decoded by FFmpeg,
    /// with a `decoder-fallback` diagnostic (so it is re-encoded, never passed through). When FFmpeg
    /// cannot decode it either, our reader's error stands.
    static func secondOpinion(_ file: MappedFile, _ format: MediaFormat, _ error: MediaError,
                              _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        var fallback = context
        guard var info = try? FFmpegImage.probe(file, format, &fallback),
              (try? FFmpegImage.decode(path: context.path, format: format, limits: context.options.limits)) != nil
        else { throw error }
        info.accepted = context.accepts(format, file.size)
        info.diagnostics.append(Diagnostic(code: "decoder-fallback", stage: .probe,
                                           message: "\(error.message); FFmpeg's \(format.rawValue) decoder reads it"))
        return info
    }

    /// Whether the first bytes of `path` look like media (an image or video format kimi-media
    /// reads, by our own sniff or FFmpeg's): how a folder walk decides by content, whatever the
    /// file's name. Reads at most 64 KiB; a file that cannot be read is not media.
    public static func looksLikeMedia(path: String) -> Bool {
        guard let file = try? MappedFile(path: path), file.size > 0 else { return false }
        return identify(file.view, path: path).format.format != .unsupported
    }

    /// What the content is: our own sniff, then — for what it does not know and cannot name as
    /// something else — FFmpeg's guess (by content, then with the file name). `own` is our sniff's
    /// verdict; `byName` says the format came from the file's extension alone.
    static func identify(_ v: ByteView, path: String) -> (format: Sniffer.Result, own: Sniffer.Result, byName: Bool) {
        let own = Sniffer.sniff(v)
        guard own.format == .unsupported, !Sniffer.isKnownOther(own), let guess = FFmpegImage.sniff(v, path: path) else {
            return (own, own, false)
        }
        return (Sniffer.Result(format: guess.format, detail: guess.demuxer), own, guess.byName)
    }
}
