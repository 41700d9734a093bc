import Foundation
import Testing

@testable import MediaCore

@Suite("MediaCore model")
struct MediaCoreTests {
    @Test func dataURLBytesAreExact() {
        // "data:image/png;base64," is 22 bytes; base64 of n bytes is 4⌈n/3⌉.
        #expect(APILimits.dataURLBytes(contentBytes: 0, mimeType: "image/png") == 22)
        #expect(APILimits.dataURLBytes(contentBytes: 1, mimeType: "image/png") == 26)
        #expect(APILimits.dataURLBytes(contentBytes: 3, mimeType: "image/png") == 26)
        #expect(APILimits.dataURLBytes(contentBytes: 4, mimeType: "image/png") == 30)
        #expect(APILimits.dataURLBytes(contentBytes: 75_000_000, mimeType: "image/jpeg") == 23 + 100_000_000)
    }

    @Test func acceptanceFollowsTheByteLimits() {
        let limits = APILimits.default
        // The largest image whose data URL fits a 100,000,000-byte body.
        let largest = Int64((100_000_000 - 23) / 4 * 3)
        #expect(limits.accepts(format: .jpeg, bytes: largest))
        #expect(!limits.accepts(format: .jpeg, bytes: largest + 3))
        #expect(limits.accepts(format: .mp4, bytes: 100_000_000))
        #expect(!limits.accepts(format: .mp4, bytes: 100_000_001))
        #expect(!limits.accepts(format: .png, bytes: 0))
        #expect(!limits.accepts(format: .unsupported, bytes: 10))
    }

    @Test func formatsKnowTheirKindAndMime() {
        #expect(MediaFormat.allCases.filter { $0.kind == .image && $0.isAccepted } == [.png, .jpeg, .webp, .gif])
        #expect(MediaFormat.allCases.filter { $0.kind == .video && $0.isAccepted }.count == 8)
        // Converted formats have a kind but the API does not take them as they are.
        #expect(MediaFormat.heif.kind == .image && !MediaFormat.heif.isAccepted)
        #expect(MediaFormat.mkv.kind == .video && !MediaFormat.mkv.isAccepted)
        #expect(!APILimits.default.accepts(format: .heif, bytes: 1000))
        #expect(MediaFormat.otherVideo.rawValue == "video" && MediaFormat.otherImage.rawValue == "image")
        #expect(MediaFormat.threeGP.rawValue == "3gp")
        #expect(MediaFormat.threeGP.mimeType == "video/3gpp")
        #expect(MediaFormat.jpeg.fileExtension == "jpg")
        #expect(MediaFormat.unsupported.kind == nil)
    }

    @Test func orientationSwapsDisplayedDimensions() {
        for o in ExifOrientation.allCases {
            let info = MediaInfo(path: "x", kind: .image, format: .jpeg, storedWidth: 40, storedHeight: 30,
                                 orientation: o.rawValue, swapsDimensions: o.swapsDimensions, bytes: 1, accepted: true)
            #expect(info.width == (o.rawValue >= 5 ? 30 : 40))
            #expect(info.height == (o.rawValue >= 5 ? 40 : 30))
        }
    }

    /// The probe JSON is a public contract: every key present, unknown facts as null.
    @Test func jsonHasEveryContractKey() throws {
        let info = MediaInfo(path: "a.png", kind: .image, format: .png, storedWidth: 2, storedHeight: 1,
                             orientation: 1, swapsDimensions: false, bytes: 10, accepted: true)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(info)) as! [String: Any]
        let contract = ["path", "kind", "format", "width", "height", "storedWidth", "storedHeight", "exifOrientation", "rotation",
                        "hasAlpha", "animated", "frameCount", "durationSeconds", "frameRate", "videoCodec", "hasAudio",
                        "keyframeInterval", "bytes", "accepted"]
        for key in contract { #expect(object.keys.contains(key), "missing \(key)") }
        #expect(object["videoCodec"] is NSNull)
        #expect(object["format"] as? String == "png")
        let decoded = try JSONDecoder().decode(MediaInfo.self, from: JSONEncoder().encode(info))
        #expect(decoded == info)
    }

    @Test func errorDescriptionNamesFileAndStage() {
        struct Cause: Error, CustomStringConvertible { var description: String { "avformat_open_input: Invalid data" } }
        let error = MediaError(.corruptInput, path: "/m/a.mp4", stage: .probe, "cannot read the container", cause: Cause())
        #expect(error.description == "/m/a.mp4: probe: cannot read the container (avformat_open_input: Invalid data)")
        #expect(error.summary.code == .corruptInput)
        #expect(error.file.hasSuffix("MediaCoreTests.swift"))
    }

    @Test func folderWalksPickMediaExtensions() {
        #expect(MediaExtensions.isMediaFile(named: "a.JPG"))
        #expect(MediaExtensions.isMediaFile(named: "clip.3gp"))
        #expect(MediaExtensions.isMediaFile(named: "scan.tiff"))  // refused, but reported
        #expect(MediaExtensions.isDecodedByFFmpeg(named: "/videos/Clip.MKV") && MediaExtensions.isDecodedByFFmpeg(named: "a.mp4"))
        #expect(!MediaExtensions.isDecodedByFFmpeg(named: "photo.heic") && !MediaExtensions.isDecodedByFFmpeg(named: "v1.mp4/photo"))
        #expect(!MediaExtensions.isMediaFile(named: "README.md"))
        #expect(!MediaExtensions.isMediaFile(named: ".png"))
        #expect(!MediaExtensions.isMediaFile(named: "Makefile"))
    }
}
