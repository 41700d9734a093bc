/// What will be done to one image: the `plan` stage's output. Pure and deterministic, `Codable`
/// (it is written to the manifest), made by ``ImagePlan/make(for:options:)`` from header facts alone.
public struct ImagePlan: Sendable, Codable, Hashable {
    /// Send the original bytes unchanged.
    public var passthrough: Bool
    /// The upright output size.
    public var width: Int
    public var height: Int
    /// The size to resize the stored (not yet upright) pixels to.
    public var resizeWidth: Int
    public var resizeHeight: Int
    /// The orientation applied to the pixels after resizing (then no tag is written).
    public var orientation: ExifOrientation
    /// JPEG DCT scaling: decode at 1/`jpegScaleDenominator` (1, 2, 4 or 8).
    public var jpegScaleDenominator: Int
    public var format: MediaFormat
    public var quality: Int
    /// Offline token count of the output image (docs/kimi-api.md §2.2).
    public var tokens: Int
    public var diagnostics: [Diagnostic]

    /// Plans the preparation of `info` (an image) under `options`; `size`: an upright size of the
    /// caller's instead of the fit's (the whole a tiled image's tiles are cut from; never passed through).
    public static func make(for info: MediaInfo, options: ImageOptions, profile: ModelProfile = .kimiK26,
                            size: (width: Int, height: Int)? = nil) -> ImagePlan {
        let orientation = info.exifOrientation
        let (width, height) = size ?? targetSize(info.width, info.height, options: options, profile: profile)
        let resized = width != info.width || height != info.height
        var format = outputFormat(info, options)
        var diagnostics: [Diagnostic] = []
        if info.animated {
            diagnostics.append(Diagnostic(code: "first-frame-used", stage: .plan,
                                          message: "animated \(info.format.rawValue) with \(counted(info.frameCount ?? 0, "frame")): the first frame is sent"))
        }
        if options.fit == .model {
            let again = ImageTokens(width: width, height: height, profile: profile)
            if (again.resizedWidth, again.resizedHeight) != (width, height) {
                let original = ImageTokens(width: info.width, height: info.height, profile: profile).tokens
                diagnostics.append(Diagnostic(
                    code: "model-size-not-stable", stage: .plan,
                    message: "the model resizes \(width)×\(height) again (to \(again.resizedWidth)×\(again.resizedHeight)): "
                        + "\(again.tokens) tokens instead of the original's \(original)"))
            }
        }
        if orientation != .up {
            diagnostics.append(Diagnostic(code: "orientation-applied", stage: .plan,
                                          message: "EXIF orientation \(orientation.rawValue) applied to the pixels"))
        }
        // An image the API already takes as it is goes through byte for byte, unless a different
        // format was asked for explicitly.
        let formatAllows = options.format == .auto || options.format == .keep || format == info.format
        let passthrough = size == nil && !resized && orientation == .up && !info.animated && info.accepted && formatAllows
            && info.bytes <= options.maxBytes && info.diagnostics.isEmpty
        if passthrough { format = info.format }
        let (rw, rh) = orientation.swapsDimensions ? (height, width) : (width, height)
        return ImagePlan(
            passthrough: passthrough, width: width, height: height, resizeWidth: rw, resizeHeight: rh,
            orientation: orientation,
            jpegScaleDenominator: info.format == .jpeg ? jpegScale(info.storedWidth, info.storedHeight, rw, rh) : 1,
            format: format, quality: options.quality,
            tokens: ImageTokens(width: width, height: height, profile: profile).tokens, diagnostics: diagnostics
        )
    }

    /// The upright output size. Box: the largest size inside the box with the same aspect, never
    /// larger than the source. Model: the model's own resize target (never larger either).
    public static func targetSize(_ width: Int, _ height: Int, options: ImageOptions,
                                  profile: ModelProfile = .kimiK26) -> (width: Int, height: Int) {
        switch options.fit {
        case .model:
            let t = ImageTokens(width: width, height: height, profile: profile)
            return (t.resizedWidth, t.resizedHeight)
        case .box:
            return fitted(width, height, long: options.box.long, short: options.box.short)
        }
    }

    /// The largest size with the same aspect whose long side is ≤ `long` and short side ≤ `short`,
    /// never larger than `width`×`height` (the image and the video boxes).
    public static func fitted(_ width: Int, _ height: Int, long: Int, short: Int) -> (width: Int, height: Int) {
        let landscape = width >= height
        let scale = min(1, Double(long) / Double(landscape ? width : height), Double(short) / Double(landscape ? height : width))
        guard scale < 1 else { return (width, height) }
        return (min(width, max(1, Int((Double(width) * scale).rounded()))),
                min(height, max(1, Int((Double(height) * scale).rounded()))))
    }

    /// The largest SIMD-accelerated TurboJPEG reduction (1/2, 1/4, 1/8) that still decodes at
    /// least twice `targetWidth`×`targetHeight`, leaving ≥ 2× for the Lanczos kernel as libvips does.
    /// Why 2×: decoding at 1/4 straight to 1.14× the target measured 38.4 dB luma PSNR against a
    /// float Lanczos-3 of the full image (ImagePipelineTests), under the 40 dB bar; with 2× left
    /// every scale clears it. Why no 3/4, 5/8, …: libjpeg-turbo 2.1.5 has no SIMD for those IDCTs,
    /// and a 5/8 decode of a 24 MP JPEG measured 142 ms against 103 ms at full size (`djpeg -scale`).
    public static func jpegScale(_ width: Int, _ height: Int, _ targetWidth: Int, _ targetHeight: Int) -> Int {
        var denominator = 1
        for d in [2, 4, 8] {
            let w = (width + d - 1) / d, h = (height + d - 1) / d
            if w >= 2 * targetWidth && h >= 2 * targetHeight { denominator = d }
        }
        return denominator
    }

    static func outputFormat(_ info: MediaInfo, _ options: ImageOptions) -> MediaFormat {
        switch options.format {
        case .jpeg: .jpeg
        case .png: .png
        case .webp: .webp
        case .keep: info.format == .gif ? .png : info.format
        case .auto: info.hasAlpha ? .png : .jpeg
        }
    }
}
