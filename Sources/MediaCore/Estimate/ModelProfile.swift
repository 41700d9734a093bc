/// The vision preprocessing constants of one model family (docs/kimi-api.md §2.1). K2.6 and K2.5
/// share the checkpoint values of `preprocessor_config.json`; never vLLM's fallback defaults.
public struct ModelProfile: Sendable, Codable, Hashable {
    /// Model ids this profile applies to.
    public var models: [String]
    /// Pixels per patch side (`patch_size`).
    public var patchSize: Int
    /// Patches merged per token side (`merge_kernel_size`): one token covers (patch × merge)² pixels.
    public var mergeKernelSize: Int
    /// Patch budget of one image (`in_patch_limit`).
    public var inPatchLimit: Int
    /// Patch budget of one video frame (`in_patch_limit_each_frame`).
    public var inPatchLimitEachFrame: Int
    /// Most patches along one side (`patch_limit_on_one_side`).
    public var patchLimitOnOneSide: Int
    /// Video frames sampled per second (`sample_fps`).
    public var sampleFPS: Double
    /// Frames pooled into one chunk of tokens (`temporal_merge_kernel_size`).
    public var temporalMergeKernelSize: Int
    /// Prompt tokens around each image part: `<|media_begin|>`, `image`, `<|media_content|>`,
    /// `<|media_end|>`, `\n` (§2.4, an inference checked against the serving API's 69 for 64).
    public var imageWrapperTokens: Int
    /// Prompt tokens around each video chunk besides its media tokens: the `hh:mm:ss.fff` timestamp
    /// (7 pieces under the tokenizer's digit-group split) and `<|media_begin|>`, `video`,
    /// `<|media_content|>`, `<|media_end|>` (§3.3; an inference to calibrate with the remote count).
    public var videoChunkWrapperTokens: Int
    /// The context window in tokens (§1).
    public var contextTokens: Int

    public init(models: [String], patchSize: Int, mergeKernelSize: Int, inPatchLimit: Int, inPatchLimitEachFrame: Int,
                patchLimitOnOneSide: Int, sampleFPS: Double, temporalMergeKernelSize: Int, imageWrapperTokens: Int,
                videoChunkWrapperTokens: Int = 11, contextTokens: Int = 262_144) {
        self.models = models
        self.patchSize = patchSize
        self.mergeKernelSize = mergeKernelSize
        self.inPatchLimit = inPatchLimit
        self.inPatchLimitEachFrame = inPatchLimitEachFrame
        self.patchLimitOnOneSide = patchLimitOnOneSide
        self.sampleFPS = sampleFPS
        self.temporalMergeKernelSize = temporalMergeKernelSize
        self.imageWrapperTokens = imageWrapperTokens
        self.videoChunkWrapperTokens = videoChunkWrapperTokens
        self.contextTokens = contextTokens
    }

    /// Kimi K2.6 and K2.5 (docs/kimi-api.md §2.1).
    public static let kimiK26 = ModelProfile(
        models: ["kimi-k2.6", "kimi-k2.5"], patchSize: 14, mergeKernelSize: 2, inPatchLimit: 16384,
        inPatchLimitEachFrame: 4096, patchLimitOnOneSide: 512, sampleFPS: 2.0, temporalMergeKernelSize: 4,
        imageWrapperTokens: 5, videoChunkWrapperTokens: 11, contextTokens: 262_144
    )

    /// Pixels covered by one token side: patch × merge (28 for K2.6).
    public var tokenCell: Int { patchSize * mergeKernelSize }
}
