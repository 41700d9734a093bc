/// The EXIF orientation tag (0x0112): how the stored pixels must be transformed to show upright.
public enum ExifOrientation: Int, Sendable, Codable, Hashable, CaseIterable {
    case up = 1, upMirrored = 2, down = 3, downMirrored = 4
    case leftMirrored = 5, right = 6, rightMirrored = 7, left = 8

    /// Whether showing the image upright exchanges its width and height (orientations 5–8).
    public var swapsDimensions: Bool { rawValue >= 5 }
}
