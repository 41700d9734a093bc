import MediaCodecs
import MediaCore

/// The image pipeline's stages one at a time, for callers that want the pixels (and for the stage
/// benchmarks): ``decode(path:info:plan:)`` → ``resize(_:plan:resampler:)`` → orient →
/// ``encode(_:plan:path:)``. ``Preparer`` runs them all.
@_spi(Benchmarks)
public enum ImageStages {
    /// Decodes `path` as `plan` says (DCT shrink-on-load, YCbCr planes when the output is JPEG).
    public static func decode(path: String, info: MediaInfo, plan: ImagePlan) throws(MediaError) -> PixelImage {
        try ImagePipeline.decode(path: path, info: info, plan: plan)
    }

    /// Resizes to the plan's size in stored orientation, then turns the pixels upright.
    public static func resize(_ image: PixelImage, plan: ImagePlan, resampler: Resampler) -> PixelImage {
        var image = image
        ImagePipeline.resize(&image, plan: plan, resampler: resampler)
        return image.oriented(plan.orientation)
    }

    /// The whole pipeline for one probed image, on the caller's thread (what ``Preparer`` runs for
    /// an image, without its thread or cancellation handling).
    public static func prepare(path: String, info: MediaInfo, options: ImageOptions = ImageOptions(), threads: Int = 1) throws(MediaError) -> EncodedImage {
        try Preparer(imageOptions: options, threadsPerImage: threads).prepare(image: path, info: info).image
    }

    /// Encodes upright pixels in the plan's format and quality.
    public static func encode(_ image: PixelImage, plan: ImagePlan, path: String) throws(MediaError) -> [UInt8] {
        try ImagePipeline.encode(image, plan: plan, path: path)
    }
}
