/// The size an image is resized to by the model's own preprocessing, and the tokens it costs
/// (`navit_resize_image`, docs/kimi-api.md §2.2), with Python's exact Double/Int semantics.
public struct ImageTokens: Sendable, Hashable, Codable {
    /// The size the model resizes to (bicubic), before zero padding.
    public var resizedWidth: Int
    public var resizedHeight: Int
    /// Zero padding on the right and bottom up to whole token cells.
    public var padWidth: Int
    public var padHeight: Int
    /// Media tokens (`<|media_pad|>` copies): ⌈w/28⌉·⌈h/28⌉.
    public var tokens: Int

    /// Computes the resize and token count of a `width`×`height` image with a patch budget of
    /// `patchLimit` (the profile's image budget, or its per-frame budget for video chunks).
    public init(width: Int, height: Int, profile: ModelProfile = .kimiK26, patchLimit: Int? = nil) {
        precondition(width > 0 && height > 0, "image sizes are positive")
        let p = profile.patchSize
        let sideLimit = profile.patchLimitOnOneSide * p
        let limit = Double(patchLimit ?? profile.inPatchLimit)
        // floor(W/p) is integer division of positive sizes; the product is exact in Double.
        let s1 = (limit / (max(1, Double(width / p)) * max(1, Double(height / p)))).squareRoot()
        let s2 = Double(sideLimit) / Double(width)
        let s3 = Double(sideLimit) / Double(height)
        let scale = min(1.0, s1, s2, s3)
        resizedWidth = min(max(1, Int(Double(width) * scale)), sideLimit)
        resizedHeight = min(max(1, Int(Double(height) * scale)), sideLimit)
        let cell = profile.tokenCell
        padWidth = (cell - resizedWidth % cell) % cell
        padHeight = (cell - resizedHeight % cell) % cell
        tokens = (resizedWidth + padWidth) / cell * ((resizedHeight + padHeight) / cell)
    }

    /// Tokens of one image part in a prompt: media tokens plus the wrapper (§2.4).
    public func promptTokens(profile: ModelProfile = .kimiK26) -> Int { tokens + profile.imageWrapperTokens }
}
