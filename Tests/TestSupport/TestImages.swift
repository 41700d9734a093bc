import Foundation
import MediaCodecs
import MediaCore

/// Images made at test time, at sizes the committed fixtures are too small for.
public enum TestImages {
    /// A gray JPEG of `width`×`height` (a gradient with horizontal bands, so resizes show), with an
    /// EXIF APP1 segment giving `orientation` (1–8) when asked: the segment a camera writes, the
    /// pixels stored as the sensor saw them.
    public static func jpeg(width: Int, height: Int, orientation: Int? = nil) throws -> [UInt8] {
        let gray = Plane(width: width, height: height, channels: 3) { x, y, _ in UInt8(truncatingIfNeeded: (y / 24) % 2 == 0 ? x &* 7 : 255) }
        let info = MediaInfo(path: "test.jpg", kind: .image, format: .jpeg, storedWidth: width, storedHeight: height, orientation: 1,
                             swapsDimensions: false, bytes: 1, accepted: true)
        let plan = ImagePlan.make(for: info, options: try ImageOptions(maxSide: max(width, height), format: .jpeg, quality: 80))
        var bytes = try ImagePipeline.encode(PixelImage(layout: .rgb, planes: [gray]), plan: plan, path: "test.jpg")
        if let orientation {
            // "Exif\0\0", a big-endian TIFF header, one IFD entry: 0x0112 Orientation, SHORT, 1 value.
            let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01,
                                 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, UInt8(orientation), 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00]
            let payload = Array("Exif".utf8) + [0, 0] + tiff
            let length = payload.count + 2
            bytes.insert(contentsOf: [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload, at: 2)
        }
        return bytes
    }
}
