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
        var sniffed = Sniffer.sniff(file.view)
        if sniffed.format == .unsupported, !Sniffer.isTextOrKnownOther(sniffed), let guess = FFmpegImage.sniff(file.view) {
            sniffed = Sniffer.Result(format: guess.format, detail: guess.demuxer)
        }
        var info: MediaInfo
        switch sniffed.format {
        case .png: info = try PNGProbe.probe(file, &context)
        case .jpeg: info = try JPEGProbe.probe(file, &context)
        case .webp: info = try WebPProbe.probe(file, &context)
        case .gif: info = try GIFProbe.probe(file, &context)
        case .heif, .avif: info = try HEIFCodec.probe(file, sniffed.format, &context)
        case .tiff, .bmp, .qoi, .jxl, .otherImage: info = try FFmpegImage.probe(file, sniffed.format, &context)
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
    /// Whether the first bytes of `path` look like media (an image or video format kimi-media
    /// reads, by our own sniff or FFmpeg's): how a folder walk decides by content, whatever the
    /// file's name. Reads at most 64 KiB; a file that cannot be read is not media.
    public static func looksLikeMedia(path: String) -> Bool {
        guard let file = try? MappedFile(path: path), file.size > 0 else { return false }
        let sniffed = Sniffer.sniff(file.view)
        if sniffed.format != .unsupported { return true }
        return !Sniffer.isTextOrKnownOther(sniffed) && FFmpegImage.sniff(file.view) != nil
    }
}
