import MediaCore

/// Runs an ``ImagePlan`` on one file: decode (with shrink-on-load) → resize → orient → encode.
/// Every stage is its own function; each names the file in its errors.
public enum ImagePipeline {
    public static func run(path: String, info: MediaInfo, plan: ImagePlan, resampler: Resampler,
                           limits: MediaLimits = MediaLimits()) throws(MediaError) -> EncodedImage {
        try MappedFile(path: path).reading(stage: .decode) { v throws(MediaError) in
            try run(v, path: path, info: info, plan: plan, resampler: resampler, limits: limits)
        }
    }

    private static func run(_ v: ByteView, path: String, info: MediaInfo, plan: ImagePlan, resampler: Resampler,
                            limits: MediaLimits) throws(MediaError) -> EncodedImage {
        if plan.passthrough {
            try verify(v, info: info, plan: plan, path: path, limits: limits)
            return EncodedImage(bytes: Array(v.bytes), format: info.format, width: info.width, height: info.height,
                                passthrough: true, diagnostics: plan.diagnostics)
        }
        var image: PixelImage, diagnostics: [Diagnostic]
        if info.format == .jpeg, plan.format == .jpeg, plan.jpegScaleDenominator == 1,
           let streamed = JPEGStreaming.decodeAndResize(v, size: (plan.resizeWidth, plan.resizeHeight), resampler: resampler,
                                                        encodeQuality: plan.orientation == .up ? plan.quality : nil, path: path) {
            // Decoded, resized and (upright) encoded at once: each stage's rows taken as they arrive.
            if let bytes = streamed.jpeg {
                return EncodedImage(bytes: bytes, format: plan.format, width: plan.width, height: plan.height,
                                    passthrough: false, diagnostics: plan.diagnostics + streamed.diagnostics)
            }
            (image, diagnostics) = (streamed.image, streamed.diagnostics)
        } else {
            (image, diagnostics) = try decode(v, info: info, plan: plan, path: path, limits: limits, threads: resampler.threads)
            resize(&image, plan: plan, resampler: resampler)
        }
        image = image.oriented(plan.orientation)
        let bytes = try encode(image, plan: plan, path: path)
        return EncodedImage(bytes: bytes, format: plan.format, width: plan.width, height: plan.height,
                            passthrough: false, diagnostics: plan.diagnostics + diagnostics)
    }

    /// A tiled image (``TilePlan``): decoded, resized to `plan`'s size (the tiles' whole) and turned
    /// upright once, then each tile cropped and encoded in `plan`'s format, in reading order.
    public static func runTiles(path: String, info: MediaInfo, plan: ImagePlan, tiles: TilePlan, resampler: Resampler,
                                limits: MediaLimits = MediaLimits()) throws(MediaError) -> [EncodedImage] {
        try MappedFile(path: path).reading(stage: .decode) { v throws(MediaError) in
            var (image, diagnostics) = try decode(v, info: info, plan: plan, path: path, limits: limits, threads: resampler.threads)
            resize(&image, plan: plan, resampler: resampler)
            image = image.oriented(plan.orientation)
            var encoded: [EncodedImage] = []
            for tile in tiles.tiles {
                var tilePlan = plan
                (tilePlan.width, tilePlan.height) = (tile.width, tile.height)
                let bytes = try encode(image.cropped(x: tile.x, y: tile.y, width: tile.width, height: tile.height), plan: tilePlan, path: path)
                encoded.append(EncodedImage(bytes: bytes, format: plan.format, width: tile.width, height: tile.height, passthrough: false,
                                            diagnostics: tile.index == 1 ? plan.diagnostics + diagnostics : []))
            }
            return encoded
        }
    }

    /// Proves that a file passed through byte for byte decodes, cheaply and without keeping pixels:
    /// a JPEG at 1/8 DCT scale (warnings pass: every decoder takes them), a PNG by its CRCs and
    /// inflated IDAT size (``PNGVerifier``), a WebP by a decode to a small size, a GIF by its first
    /// frame (as ``decode`` reads it, FFmpeg's decoder included). Damage is `corruptInput` (or
    /// `truncatedInput` where the data ends early).
    static func verify(_ v: ByteView, info: MediaInfo, plan: ImagePlan, path: String, limits: MediaLimits) throws(MediaError) {
        func damaged(_ error: MediaError) -> MediaError {
            error.code == .truncatedInput ? error
                : MediaError(.corruptInput, path: path, stage: .decode, "the file does not decode: \(error.message)", cause: error)
        }
        switch info.format {
        case .jpeg:
            do { _ = try JPEGCodec.decode(v, scale: 8, output: .interleaved, path: path) } catch { throw damaged(error) }
        case .png:
            try PNGVerifier.verify(v, path: path)
        case .webp:
            do { _ = try WebPCodec.decode(v, scaledTo: (16, 16), path: path) } catch { throw damaged(error) }
        case .gif:
            do { _ = try decode(v, info: info, plan: plan, path: path, limits: limits) } catch { throw damaged(error) }
        default:
            break
        }
    }

    /// Decodes the file at `path` as `plan` says (the pixels only; diagnostics are dropped).
    public static func decode(path: String, info: MediaInfo, plan: ImagePlan, limits: MediaLimits = MediaLimits()) throws(MediaError) -> PixelImage {
        try MappedFile(path: path).reading(stage: .decode) { v throws(MediaError) in
            try decode(v, info: info, plan: plan, path: path, limits: limits).0
        }
    }

    /// Decode: JPEG by DCT scaling (to YCbCr planes when the output is JPEG), WebP by libwebp's
    /// scaled decode, PNG and GIF (first frame) at full size; HEIF/AVIF by libheif; TIFF by libtiff; BMP by ours; QOI,
    /// JPEG XL and other FFmpeg image formats by FFmpeg. A GIF that giflib refuses (deferred LZW
    /// clear codes, and the like) gets FFmpeg's decoder before it fails.
    static func decode(_ v: ByteView, info: MediaInfo, plan: ImagePlan, path: String,
                       limits: MediaLimits = MediaLimits(), threads: Int = 1) throws(MediaError) -> (PixelImage, [Diagnostic]) {
        switch info.format {
        case .jpeg, .png, .webp, .gif:
            // What our reader of an accepted format refuses (a GIF giflib cannot walk, …), FFmpeg's
            // decoder for that format may read; its own error stands when both fail.
            do {
                return try decodeAccepted(v, info: info, plan: plan, path: path)
            } catch where error.code == .decodeFailed || error.code == .corruptInput {
                guard let image = try? FFmpegImage.decode(path: path, format: info.format, limits: limits) else { throw error }
                return (image, [Diagnostic(code: "decoder-fallback", stage: .decode,
                                           message: "\(error.message); FFmpeg's \(info.format.rawValue) decoder read it")])
            }
        case .heif, .avif:
            return (try HEIFCodec.decode(v, hasAlpha: info.hasAlpha, size: (info.width, info.height), planes: plan.format == .jpeg,
                                         threads: threads, maxPixels: limits.maxPixels, path: path), [])
        case .tiff:
            return (try TIFFCodec.decode(v, path: path, limits: limits), [])
        case .bmp:
            return (try BMPCodec.decode(v, path: path, limits: limits), [])
        case .ico:
            return (try IconCodec.decode(v, path: path, limits: limits), [])
        case .qoi, .jxl, .otherImage:
            return (try FFmpegImage.decode(path: path, format: info.format, limits: limits), [])
        default:
            throw MediaError(.unsupportedFormat, path: path, stage: .decode, "\(info.format.rawValue) is not an image format")
        }
    }

    private static func decodeAccepted(_ v: ByteView, info: MediaInfo, plan: ImagePlan, path: String) throws(MediaError) -> (PixelImage, [Diagnostic]) {
        switch info.format {
        case .jpeg:
            return try JPEGCodec.decode(v, scale: plan.jpegScaleDenominator, output: plan.format == .jpeg ? .planes : .interleaved, path: path)
        case .png:
            return (try PNGCodec.decode(v, path: path), [])
        case .webp:
            return (try WebPCodec.decode(v, scaledTo: (plan.resizeWidth, plan.resizeHeight), planes: plan.format == .jpeg, path: path), [])
        default:
            return (try GIFDecoder.firstFrame(v, path: path), [])
        }
    }

    /// Resize to the plan's size in stored orientation; YCbCr chroma goes straight to the 4:2:0
    /// size of the output.
    public static func resize(_ image: inout PixelImage, plan: ImagePlan, resampler: Resampler) {
        let (w, h) = (plan.resizeWidth, plan.resizeHeight)
        resampler.resize(&image, width: w, height: h, chroma: image.layout == .ycbcr ? ((w + 1) / 2, (h + 1) / 2) : nil)
    }

    public static func encode(_ image: PixelImage, plan: ImagePlan, path: String) throws(MediaError) -> [UInt8] {
        switch plan.format {
        case .jpeg: try JPEGCodec.encode(image, quality: plan.quality, path: path)
        case .png: try PNGCodec.encode(image, path: path)
        case .webp: try WebPCodec.encode(image, quality: plan.quality, path: path)
        default: throw MediaError(.encodeFailed, path: path, stage: .encode, "cannot encode images as \(plan.format.rawValue)")
        }
    }
}
