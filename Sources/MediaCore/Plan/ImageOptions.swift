/// How an image is fitted for the API.
public enum FitMode: String, Sendable, Codable, Hashable, CaseIterable {
    /// Inside the recommended box: long side ≤ 4096, short side ≤ 2160 (or `--max-side`).
    case box
    /// Exactly the size the model's own preprocessing resizes to: the same tokens, fewer bytes.
    case model
}

/// The encoded format of a prepared image.
public enum OutputFormatChoice: String, Sendable, Codable, Hashable, CaseIterable {
    /// JPEG stays JPEG, PNG and WebP stay themselves, GIF becomes PNG (first frame).
    case keep
    case jpeg, png, webp
    /// JPEG, or PNG when the image has alpha: the default.
    case auto
}

/// Options of the image pipeline (the CLI's `prepare` flags).
public struct ImageOptions: Sendable, Codable, Hashable {
    public var fit: FitMode
    /// A custom box: both sides at most this many pixels.
    public var maxSide: Int?
    public var format: OutputFormatChoice
    /// JPEG/WebP quality, 1–100.
    public var quality: Int
    /// Largest encoded image, so that its data URL fits a request. Default: the whole body limit.
    public var maxBytes: Int64
    public var filter: ResampleFilter
    /// `--tiles auto`: an image the model would shrink by more than the threshold is cut into tiles
    /// that it reads at full size (``TilePlan``); `nil` (the default): every image is sent whole.
    public var tiles: TileOptions? = nil

    /// The defaults: the 4096×2160 box, JPEG (PNG with alpha) at quality 90, Lanczos-3.
    public init() {
        fit = .box
        maxSide = nil
        format = .auto
        quality = 90
        maxBytes = (APILimits.default.maxRequestBodyBytes - 64) / 4 * 3
        filter = .lanczos3
    }

    /// Options checked at once: `quality` 1–100, `maxSide` at least 16 (and only with the box fit),
    /// `maxBytes` positive.
    public init(fit: FitMode = .box, maxSide: Int? = nil, format: OutputFormatChoice = .auto, quality: Int = 90,
                maxBytes: Int64 = (APILimits.default.maxRequestBodyBytes - 64) / 4 * 3, filter: ResampleFilter = .lanczos3) throws(OptionsError) {
        self.fit = fit
        self.maxSide = maxSide
        self.format = format
        self.quality = quality
        self.maxBytes = maxBytes
        self.filter = filter
        try validate()
    }

    /// Checks the ranges (properties may have been changed since `init`).
    public func validate() throws(OptionsError) {
        try OptionsError.check((1...100).contains(quality), "quality", "is \(quality); allowed 1–100")
        if let maxSide {
            try OptionsError.check(maxSide >= 16, "maxSide", "is \(maxSide); allowed 16 or more")
            try OptionsError.check(fit == .box, "maxSide", "applies to the box fit only (fit is \(fit.rawValue))")
        }
        try OptionsError.check(maxBytes > 0, "maxBytes", "is \(maxBytes); allowed 1 or more")
        try tiles?.validate()
    }

    /// The long and short side limits of the fit box.
    public var box: (long: Int, short: Int) {
        guard let maxSide else { return (4096, 2160) }
        return (maxSide, maxSide)
    }
}
