/// `--tiles auto`: how a tall (or very wide) image is cut instead of shrunk.
public struct TileOptions: Sendable, Codable, Hashable {
    /// Tiles are cut when the model's own resize (docs/kimi-api.md §2.2) would shrink the image by
    /// more than this factor (1.5: a 1080×12000 screenshot, shrunk 2× by the model, is tiled).
    public var threshold: Double
    /// Only images at least this elongated (long side ÷ short side) are tiled: a screenshot, a
    /// receipt, a panorama; a photo the model shrinks is sent whole.
    public var minAspect: Double = 2
    /// Rows (or columns) two neighbouring tiles share, so that no line of text up to this tall is cut
    /// in half: each such line lies whole inside some tile.
    public var overlap: Int

    public init(threshold: Double = 1.5, overlap: Int = 128) {
        self.threshold = threshold
        self.overlap = overlap
    }

    func validate() throws(OptionsError) {
        try OptionsError.check(threshold >= 1 && threshold.isFinite, "tileThreshold", "is \(threshold); allowed 1 or more")
        try OptionsError.check(overlap >= 0, "tileOverlap", "is \(overlap); allowed 0 or more")
    }
}

/// One tile of a tiled image: its box in the upright image it is cut from, and what it costs.
public struct ImageTile: Sendable, Codable, Hashable {
    /// 1-based, of `count`, in reading order (top to bottom, or left to right).
    public var index: Int
    public var count: Int
    /// The order the tiles are read in.
    public var direction: TilePlan.Direction
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    /// Prompt tokens of the tile sent as an image (at scale 1: the model does not resize it).
    public var tokens: Int
}

/// The cut of one image into tiles that each fit the model's image budget at scale 1, full width
/// (a tall image, top to bottom) or full height (a wide one, left to right), neighbours overlapping
/// by ``TileOptions/overlap``. Made from the upright size alone; `nil` when the model would not
/// shrink the image by more than the threshold, or it is not elongated (it is then prepared whole).
public struct TilePlan: Sendable, Codable, Hashable {
    public enum Direction: String, Sendable, Codable, Hashable {
        case topToBottom = "top to bottom"
        case leftToRight = "left to right"
    }

    public var direction: Direction
    /// The upright size the tiles are cut from: the image's, or smaller when its short side is
    /// beyond what one tile can hold (then it is resized to that first).
    public var width: Int
    public var height: Int
    public var overlap: Int
    public var tiles: [ImageTile]

    public var tokens: Int { tiles.reduce(0) { $0 + $1.tokens } }

    /// The tiles of a `width`×`height` upright image inside the `box` (long, short) of every prepared image.
    public static func make(width: Int, height: Int, box: (long: Int, short: Int), options: TileOptions,
                            profile: ModelProfile = .kimiK26) -> TilePlan? {
        let model = ImageTokens(width: width, height: height, profile: profile)
        let shrink = Double(width) / Double(max(1, model.resizedWidth))
        let tall = height >= width
        guard shrink > options.threshold, Double(max(width, height)) >= options.minAspect * Double(min(width, height)) else { return nil }
        // Along the cut: `length`; across it: `side` (the full width of a tall image).
        let (side0, length0) = tall ? (width, height) : (height, width)
        let p = profile.patchSize
        let side = min(side0, box.long, profile.patchLimitOnOneSide * p)
        guard side >= 2 * p else { return nil }
        let length = max(1, Int((Double(length0) * Double(side) / Double(side0)).rounded()))
        // The longest tile at scale 1: ⌊side/p⌋·⌊t/p⌋ patches within the budget, each side within the
        // model's side limit, and the tile inside the box (its long side ≤ long, its short ≤ short).
        var most = profile.inPatchLimit / max(1, side / p) * p
        most = min(most, profile.patchLimitOnOneSide * p, side <= box.short ? box.long : box.short)
        guard most > 2 * p, length > most else { return nil }
        let overlap = min(options.overlap, most / 4)
        let count = (length - overlap + (most - overlap) - 1) / (most - overlap)
        let tile = min(most, (length + (count - 1) * overlap + count - 1) / count)
        var tiles: [ImageTile] = []
        for k in 0..<count {
            // Evenly spread, the first at 0 and the last ending on the last row.
            let start = count == 1 ? 0 : Int((Double(k) * Double(length - tile) / Double(count - 1)).rounded(.down))
            let extent = min(tile, length - start)
            let (w, h) = tall ? (side, extent) : (extent, side)
            tiles.append(ImageTile(index: k + 1, count: count, direction: tall ? .topToBottom : .leftToRight, x: tall ? 0 : start, y: tall ? start : 0, width: w, height: h,
                                   tokens: ImageTokens(width: w, height: h, profile: profile).promptTokens(profile: profile)))
        }
        return TilePlan(direction: tall ? .topToBottom : .leftToRight, width: tall ? side : length, height: tall ? length : side,
                        overlap: overlap, tiles: tiles)
    }
}
