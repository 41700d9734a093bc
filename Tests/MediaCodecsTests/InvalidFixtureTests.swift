import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// Every file in Fixtures/invalid/ and the exact error code it must produce.
let invalidExpectations: [String: MediaError.Code] = [
    "truncated.png": .truncatedInput, "truncated.jpg": .truncatedInput, "truncated.webp": .truncatedInput,
    "truncated.gif": .truncatedInput, "truncated.mp4": .truncatedInput, "truncated.mpeg": .truncatedInput,
    "truncated.mpg": .truncatedInput, "truncated.mov": .truncatedInput, "truncated.avi": .truncatedInput,
    "truncated.flv": .truncatedInput, "truncated.webm": .truncatedInput, "truncated.wmv": .truncatedInput,
    "truncated.3gp": .truncatedInput,
    "empty.jpg": .corruptInput,
    "random.jpg": .unsupportedFormat,
    "text.mp4": .unsupportedFormat,
    "audio-only.mp4": .unsupportedFormat,
    "damaged-moov.mp4": .corruptInput,
    "gif-bomb.gif": .limitExceeded,
    "bad-crc.png": .corruptInput,
    "bad-zlib.png": .corruptInput,
    "icon-bomb.ico": .limitExceeded,
    "huge-dimensions.png": .limitExceeded,
    "huge-dimensions.jpg": .limitExceeded,
    "huge-screen.gif": .limitExceeded,
    // Found by `make fuzz` (Tests/Fuzz), kept as found:
    "fuzz-frame-count.mp4": .limitExceeded,
    "fuzz-heif-error-message.heic": .corruptInput,
    "fuzz-avif-error-message.avif": .corruptInput,
    "fuzz-avif-empty-item.avif": .decodeFailed,
    "fuzz-dib-size-overflow.bmp": .unsupportedFormat,
]

/// Invalid fixtures whose headers are sound: the probe passes them, and the damage is found when
/// the image is decoded (or, for a pass-through, verified).
let damagedBeyondHeaders: Set<String> = ["bad-crc.png", "bad-zlib.png", "icon-bomb.ico", "fuzz-avif-empty-item.avif"]

@Suite("Probe: invalid and hostile fixtures")
struct InvalidFixtureTests {
    @Test(arguments: invalidExpectations.keys.sorted().filter { !damagedBeyondHeaders.contains($0) })
    func exactErrorCode(_ name: String) throws {
        let path = Fixture.invalid(name)
        let error = #expect(throws: MediaError.self) { try MediaProber.probe(path: path) }
        #expect(error?.code == invalidExpectations[name])
        #expect(error?.path == path)
        #expect(error?.stage == .probe)
        #expect(error?.description.hasPrefix("\(path): probe: ") == true)
    }

    /// Damage the headers do not show: a PNG inside the box would be passed through byte for byte,
    /// so the pass-through must prove it decodes (CRCs, inflate); an icon whose bitmap declares a
    /// size its directory does not is refused before the bitmap is allocated.
    @Test(arguments: damagedBeyondHeaders.sorted())
    func damageFoundWhenPassingThrough(_ name: String) throws {
        let path = Fixture.invalid(name)
        let info = try MediaProber.probe(path: path)
        let plan = ImagePlan.make(for: info, options: ImageOptions())
        #expect(plan.passthrough == (info.format == .png))  // the PNGs are inside the box and accepted
        let error = #expect(throws: MediaError.self) { try ImagePipeline.run(path: path, info: info, plan: plan, resampler: Resampler()) }
        #expect(error?.code == invalidExpectations[name])
        #expect(error?.stage == .decode)
        // Re-encoding finds it too (libpng reads the same data; the icon's bitmap is checked again).
        var resized = plan
        resized.passthrough = false
        #expect(throws: MediaError.self) { try ImagePipeline.run(path: path, info: info, plan: resized, resampler: Resampler()) }
    }

    @Test func everyInvalidFixtureHasAnExpectation() {
        #expect(Set(Fixture.names(in: "invalid")) == Set(invalidExpectations.keys))
    }

    @Test func messagesSayWhatWasFound() throws {
        func message(_ name: String) -> String {
            do throws(MediaError) {
                _ = try MediaProber.probe(path: Fixture.invalid(name))
                return ""
            } catch {
                return error.message
            }
        }
        #expect(message("audio-only.mp4").contains("no video stream"))
        #expect(message("damaged-moov.mp4").contains("damaged"))
        #expect(message("gif-bomb.gif").contains("65535×66601"))
        #expect(message("text.mp4").contains("text"))
        #expect(message("huge-dimensions.png").contains("100000×100000"))
        #expect(message("truncated.mp4").contains("mdat"))
        // libheif's message, read before its context is freed (it was garbage when read after).
        #expect(description("fuzz-heif-error-message.heic").hasSuffix("(libheif: Invalid input: No 'meta' box)"))
        #expect(description("fuzz-avif-error-message.avif").contains("iloc box references data outside of file bounds"))
        #expect(message("fuzz-frame-count.mp4").contains("declares 4194304050 frames at 0.001631 fps"))
    }

    private func description(_ name: String) -> String {
        do throws(MediaError) {
            _ = try MediaProber.probe(path: Fixture.invalid(name))
            return ""
        } catch {
            return error.description
        }
    }

    /// With `allowTruncated`, files whose headers are intact probe with a `truncated` diagnostic.
    @Test(arguments: ["truncated.jpg", "truncated.png", "truncated.gif", "truncated.mp4", "truncated.avi",
                      "truncated.mpeg", "truncated.flv", "truncated.webm", "truncated.wmv"])
    func allowTruncated(_ name: String) throws {
        let info = try MediaProber.probe(path: Fixture.invalid(name), options: ProbeOptions(allowTruncated: true))
        #expect(info.diagnostics.map(\.code) == ["truncated"])
        #expect(info.width > 0 && info.height > 0)
    }

    /// The 3GP was written with its index (`moov`) last, so its first half has none: even when
    /// truncation is allowed it cannot be read, and the error names truncation as the cause.
    @Test func truncatedWithoutIndexStaysTruncated() {
        let error = #expect(throws: MediaError.self) {
            try MediaProber.probe(path: Fixture.invalid("truncated.3gp"), options: ProbeOptions(allowTruncated: true))
        }
        #expect(error?.code == .truncatedInput)
    }

    @Test func pixelLimitIsConfigurable() throws {
        var limits = MediaLimits()
        limits.maxPixels = 320 * 240 - 1
        for path in [Fixture.image("jpeg-baseline.jpg"), Fixture.image("png-rgb.png"), Fixture.image("webp-lossy.webp"),
                     Fixture.image("gif-static.gif")] {
            let error = #expect(throws: MediaError.self) { try MediaProber.probe(path: path, options: ProbeOptions(limits: limits)) }
            #expect(error?.code == .limitExceeded)
        }
        limits.maxPixels = 320 * 240
        #expect(try MediaProber.probe(path: Fixture.image("png-rgb.png"), options: ProbeOptions(limits: limits)).width == 320)
    }

    @Test func frameAndDurationLimits() throws {
        var limits = MediaLimits()
        limits.maxAnimationFrames = 3
        let error = #expect(throws: MediaError.self) {
            try MediaProber.probe(path: Fixture.image("gif-animated.gif"), options: ProbeOptions(limits: limits))
        }
        #expect(error?.code == .limitExceeded)
        limits = MediaLimits()
        limits.maxDurationSeconds = 1.5
        let long = #expect(throws: MediaError.self) {
            try MediaProber.probe(path: Fixture.video("h264.mp4"), options: ProbeOptions(limits: limits))
        }
        #expect(long?.code == .limitExceeded)
    }

    /// A zero deadline makes FFmpeg's interrupt callback abort at once: the time bound is enforced.
    @Test func probeDeadlineIsEnforced() throws {
        var limits = MediaLimits()
        limits.probeTimeoutSeconds = 0
        let error = #expect(throws: MediaError.self) {
            try MediaProber.probe(path: Fixture.video("h264.mp4"), options: ProbeOptions(limits: limits))
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func missingFileIsAnIOError() {
        let error = #expect(throws: MediaError.self) { try MediaProber.probe(path: "/nonexistent/kimi-media/x.jpg") }
        #expect(error?.code == .io)
        #expect(error?.stage == .read)
    }

    @Test func folderIsAnIOError() {
        let error = #expect(throws: MediaError.self) { try MediaProber.probe(path: Fixture.root.path) }
        #expect(error?.code == .io)
    }
}

/// Probing hostile headers must not allocate what they declare: a 100,000×100,000 RGB PNG would
/// need 30 GB, a 65,535² GIF screen 4 GB. The process's peak resident size may not grow by more
/// than 64 MB across many probes of them.
@Suite("Probe: bounded memory on hostile headers", .serialized)
struct HostileMemoryTests {
    @Test func hostileHeadersAllocateNothingLarge() throws {
        func peakKilobytes() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return usage.ru_maxrss
        }
        let before = peakKilobytes()
        for _ in 0..<20 {
            for name in ["huge-dimensions.png", "huge-dimensions.jpg", "huge-screen.gif"] {
                #expect(throws: MediaError.self) { try MediaProber.probe(path: Fixture.invalid(name)) }
            }
        }
        #expect(peakKilobytes() - before < 64 * 1024)
    }
}
