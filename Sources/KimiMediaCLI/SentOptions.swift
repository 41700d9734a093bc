import ArgumentParser
import KimiMedia

/// What `prepare` makes of a file, as far as the size and the cost of what is sent go: one
/// declaration for `prepare` and `estimate`, so that an estimate counts what `prepare` will send.
struct SentOptions: ParsableArguments {
    @Option(help: "box: inside 4096×2160 (or --max-side); model: exactly the model's own resize target (same tokens, fewer bytes).")
    var fit: FitMode = ImageOptions().fit

    @Option(help: "A custom fit box: both sides at most N pixels (instead of 4096×2160 for images, 2048×1080 for video frames).")
    var maxSide: Int?

    @Option(help: "Video file: fit (a compliant MP4 copied; H.264 in another container remuxed; anything else re-encoded to H.264 inside 2048×1080, even sides) | model (only the frames the model samples, at the size it uses: the same tokens, a fraction of the bytes) | keep (the original) | none (frames only).")
    var video: VideoOutput = VideoOptions().output

    @Option(help: "Video file: at most this many frames a second (re-encodes a faster video).")
    var maxFps: Double?

    @Option(help: "auto: an image the model would shrink by more than --tile-threshold (a tall screenshot) is cut into full-width tiles it reads at full size — more tokens, shown by estimate; off: sent whole.")
    var tiles: TileChoice = .off

    @Option(help: "With --tiles auto: tile when the model would shrink the image by more than this factor.")
    var tileThreshold: Double = TileOptions().threshold

    /// Every option at its default (``CommonCommandLine``).
    static var defaults: SentOptions {
        var options = SentOptions()
        options.fit = ImageOptions().fit
        options.maxSide = nil
        options.video = VideoOptions().output
        options.maxFps = nil
        options.tiles = .off
        options.tileThreshold = TileOptions().threshold
        return options
    }

    /// The library's options for these flags (ranges checked there, named here by flag).
    func imageOptions() throws -> ImageOptions {
        try OptionFlags.make { () throws(OptionsError) in
            var options = try ImageOptions(fit: fit, maxSide: maxSide)
            options.tiles = tiles.options(threshold: tileThreshold)
            try options.validate()
            return options
        }
    }

    func videoOptions() throws -> VideoOptions {
        try OptionFlags.make { () throws(OptionsError) in try VideoOptions(maxSide: maxSide, output: video, maxFPS: maxFps) }
    }
}

/// `--tiles`: whether tall images are cut into tiles (``TileOptions``).
enum TileChoice: String, ExpressibleByArgument, CaseIterable {
    case off, auto

    func options(threshold: Double) -> TileOptions? { self == .auto ? TileOptions(threshold: threshold) : nil }
}
