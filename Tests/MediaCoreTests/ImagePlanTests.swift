import Testing

@testable import MediaCore

func imageInfo(_ w: Int, _ h: Int, format: MediaFormat = .jpeg, orientation: Int = 1, alpha: Bool = false,
               animated: Bool = false, bytes: Int64 = 1000) -> MediaInfo {
    let o = ExifOrientation(rawValue: orientation) ?? .up
    return MediaInfo(path: "x", kind: .image, format: format, storedWidth: w, storedHeight: h, orientation: orientation,
                     swapsDimensions: o.swapsDimensions, hasAlpha: alpha, animated: animated, frameCount: animated ? 3 : 1,
                     bytes: bytes, accepted: true)
}

@Suite("Image plan")
struct ImagePlanTests {
    /// Box fit: long side ≤ 4096, short side ≤ 2160, aspect kept, never upscaled.
    @Test func boxFit() {
        let cases: [((Int, Int), (Int, Int))] = [
            ((6000, 4000), (3240, 2160)), ((4000, 6000), (2160, 3240)), ((8000, 2000), (4096, 1024)),
            ((4096, 2160), (4096, 2160)), ((4097, 2160), (4096, 2159)), ((1920, 1080), (1920, 1080)),
            ((3000, 3000), (2160, 2160)), ((100_000, 10), (4096, 0 + 1)), ((640, 480), (640, 480)),
        ]
        for ((w, h), expected) in cases {
            let t = ImagePlan.targetSize(w, h, options: ImageOptions())
            #expect(t.width == expected.0 && t.height == expected.1, "\(w)×\(h) → \(t)")
            #expect(max(t.width, t.height) <= 4096 && min(t.width, t.height) <= 2160)
        }
    }

    @Test func maxSideMakesACustomBox() throws {
        let options = try ImageOptions(maxSide: 1024)
        #expect(options.box == (1024, 1024))
        #expect(ImagePlan.targetSize(6000, 4000, options: options) == (1024, 683))
        #expect(ImagePlan.targetSize(3000, 6000, options: options) == (512, 1024))
        #expect(ImagePlan.targetSize(1000, 500, options: options) == (1000, 500))
    }

    /// Model fit: exactly the model's own resize target, so the tokens do not change.
    @Test func modelFitKeepsTheTokens() throws {
        for (w, h) in [(6000, 4000), (4096, 2160), (1920, 1080), (3024, 4032), (4032, 3024), (8000, 6000), (640, 480)] {
            let t = ImagePlan.targetSize(w, h, options: try ImageOptions(fit: .model))
            let original = ImageTokens(width: w, height: h)
            #expect(t == (original.resizedWidth, original.resizedHeight))
            #expect(ImageTokens(width: t.width, height: t.height).tokens == original.tokens, "\(w)×\(h)")
            #expect(ImagePlan.make(for: imageInfo(w, h), options: try ImageOptions(fit: .model)).diagnostics.isEmpty)
        }
    }

    /// The model's resize is not always a fixed point: 7081×489 → 6917×477, which it would shrink
    /// again (4148 tokens, not 4464). The plan says so, and its token count is the true one.
    @Test func modelFitThatTheModelWouldResizeAgain() throws {
        let plan = ImagePlan.make(for: imageInfo(7081, 489), options: try ImageOptions(fit: .model))
        #expect((plan.width, plan.height) == (6917, 477))
        #expect(plan.tokens == 4148)
        #expect(plan.diagnostics.map(\.code) == ["model-size-not-stable"])
    }

    @Test func orientationIsAppliedBeforeFitting() {
        // A phone portrait: stored 4032×3024 landscape, orientation 6, displayed 3024×4032.
        let plan = ImagePlan.make(for: imageInfo(4032, 3024, orientation: 6), options: ImageOptions())
        #expect((plan.width, plan.height) == (2160, 2880))
        #expect((plan.resizeWidth, plan.resizeHeight) == (2880, 2160))  // in stored orientation
        #expect(plan.orientation == .right)
        #expect(!plan.passthrough)
        #expect(plan.diagnostics.map(\.code) == ["orientation-applied"])
        #expect(plan.tokens == ImageTokens(width: 2160, height: 2880).tokens)
    }

    @Test func passthroughOnlyWhenNothingNeedsDoing() throws {
        let options = ImageOptions()
        #expect(ImagePlan.make(for: imageInfo(1920, 1080), options: options).passthrough)
        #expect(ImagePlan.make(for: imageInfo(1920, 1080, format: .png), options: options).format == .png)
        #expect(ImagePlan.make(for: imageInfo(1920, 1080, format: .webp), options: try ImageOptions(format: .keep)).passthrough)
        #expect(!ImagePlan.make(for: imageInfo(1920, 1080, format: .png), options: try ImageOptions(format: .jpeg)).passthrough)
        #expect(!ImagePlan.make(for: imageInfo(1920, 1080, orientation: 3), options: options).passthrough)
        #expect(!ImagePlan.make(for: imageInfo(5000, 1080), options: options).passthrough)
        #expect(!ImagePlan.make(for: imageInfo(300, 200, format: .gif, animated: true), options: options).passthrough)
        #expect(!ImagePlan.make(for: imageInfo(1920, 1080, bytes: 5000), options: try ImageOptions(maxBytes: 4000)).passthrough)
    }

    @Test func outputFormats() throws {
        #expect(ImagePlan.make(for: imageInfo(5000, 3000, format: .png), options: ImageOptions()).format == .jpeg)
        #expect(ImagePlan.make(for: imageInfo(5000, 3000, format: .png, alpha: true), options: ImageOptions()).format == .png)
        #expect(ImagePlan.make(for: imageInfo(300, 200, format: .gif, animated: true), options: try ImageOptions(format: .keep)).format == .png)
        #expect(ImagePlan.make(for: imageInfo(5000, 3000), options: try ImageOptions(format: .webp)).format == .webp)
        let animated = ImagePlan.make(for: imageInfo(300, 200, format: .gif, animated: true), options: ImageOptions())
        #expect(animated.diagnostics.map(\.code) == ["first-frame-used"])
    }

    /// Only the SIMD-accelerated reductions, and only while both sides stay ≥ 2× the target.
    @Test func jpegShrinkOnLoad() throws {
        #expect(ImagePlan.jpegScale(6000, 4000, 3240, 2160) == 1)
        #expect(ImagePlan.jpegScale(8000, 6000, 2880, 2160) == 1)   // 1/2 leaves only 1.39×
        #expect(ImagePlan.jpegScale(8000, 6000, 2000, 1500) == 2)
        #expect(ImagePlan.jpegScale(8000, 6000, 500, 375) == 8)    // exactly 2× at 1/8
        #expect(ImagePlan.jpegScale(8000, 6000, 501, 375) == 4)
        #expect(ImagePlan.jpegScale(321, 241, 80, 60) == 2)         // ⌈321/2⌉ = 161 ≥ 160
        #expect(ImagePlan.jpegScale(321, 241, 81, 60) == 1)         // 161 < 162
        #expect(ImagePlan.make(for: imageInfo(8000, 6000), options: try ImageOptions(maxSide: 1000)).jpegScaleDenominator == 4)
        #expect(ImagePlan.make(for: imageInfo(8000, 6000, format: .png), options: try ImageOptions(maxSide: 1000)).jpegScaleDenominator == 1)
    }

    @Test func planIsCodableAndDeterministic() throws {
        let a = ImagePlan.make(for: imageInfo(6000, 4000, orientation: 8), options: ImageOptions())
        let b = ImagePlan.make(for: imageInfo(6000, 4000, orientation: 8), options: ImageOptions())
        #expect(a == b)
        let data = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(ImagePlan.self, from: data) == a)
    }
}

import Foundation
