import MediaCore

/// Runs an ``ImagePlan`` on one file: decode (with shrink-on-load) → resize → orient → encode.
/// Every stage is its own function; each names the file in its errors.
public enum ImagePipeline {
    public static func run(path: String, info: MediaInfo, plan: ImagePlan, resampler: Resampler) throws(MediaError) -> EncodedImage {
        let file = try MappedFile(path: path)
        let v = file.view
        if plan.passthrough {
            return EncodedImage(bytes: Array(v.bytes), format: info.format, width: info.width, height: info.height,
                                passthrough: true, diagnostics: plan.diagnostics)
        }
        var (image, diagnostics) = try decode(v, info: info, plan: plan, path: path)
        resize(&image, plan: plan, resampler: resampler)
        image = image.oriented(plan.orientation)
        let bytes = try encode(image, plan: plan, path: path)
        return EncodedImage(bytes: bytes, format: plan.format, width: plan.width, height: plan.height,
                            passthrough: false, diagnostics: plan.diagnostics + diagnostics)
    }

    /// Decodes the file at `path` as `plan` says (the pixels only; diagnostics are dropped).
    public static func decode(path: String, info: MediaInfo, plan: ImagePlan) throws(MediaError) -> PixelImage {
        let file = try MappedFile(path: path)
        return try decode(file.view, info: info, plan: plan, path: path).0
    }

    /// Decode: JPEG by DCT scaling (to YCbCr planes when the output is JPEG), WebP by libwebp's
    /// scaled decode, PNG and GIF (first frame) at full size.
    static func decode(_ v: ByteView, info: MediaInfo, plan: ImagePlan, path: String) throws(MediaError) -> (PixelImage, [Diagnostic]) {
        switch info.format {
        case .jpeg:
            return try JPEGCodec.decode(v, scale: plan.jpegScaleDenominator, output: plan.format == .jpeg ? .planes : .interleaved, path: path)
        case .png:
            return (try PNGCodec.decode(v, path: path), [])
        case .webp:
            return (try WebPCodec.decode(v, scaledTo: (plan.resizeWidth, plan.resizeHeight), path: path), [])
        case .gif:
            return (try GIFDecoder.firstFrame(v, path: path), [])
        default:
            throw MediaError(.unsupportedFormat, path: path, stage: .decode, "\(info.format.rawValue) is not an image format")
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
