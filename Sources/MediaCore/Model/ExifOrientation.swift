/// The EXIF orientation tag (0x0112): how the stored pixels must be transformed to show upright.
public enum ExifOrientation: Int, Sendable, Codable, Hashable, CaseIterable {
    case up = 1, upMirrored = 2, down = 3, downMirrored = 4
    case leftMirrored = 5, right = 6, rightMirrored = 7, left = 8

    /// Whether showing the image upright exchanges its width and height (orientations 5–8).
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// Degrees clockwise of the turn it asks for, mirror aside (6 and 7: 90; 3 and 4: 180; 8 and 5: 270).
    public var rotationDegrees: Int {
        switch self {
        case .up, .upMirrored: 0
        case .right, .rightMirrored: 90
        case .down, .downMirrored: 180
        case .left, .leftMirrored: 270
        }
    }
}
