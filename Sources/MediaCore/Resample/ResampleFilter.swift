/// A reconstruction kernel for the separable resampler.
public enum ResampleFilter: String, Sendable, Codable, Hashable, CaseIterable {
    /// Lanczos with three lobes: sharp, the usual choice for downscaling photographs.
    case lanczos3
    /// Catmull-Rom cubic (B = 0, C = 0.5): slightly softer, narrower support.
    case catmullRom

    /// Half-width of the kernel at scale 1.
    public var support: Double {
        switch self {
        case .lanczos3: 3
        case .catmullRom: 2
        }
    }

    public func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .lanczos3:
            guard x < 3 else { return 0 }
            guard x > 1e-9 else { return 1 }
            let px = Double.pi * x
            return 3 * sin(px) * sin(px / 3) / (px * px)
        case .catmullRom:
            if x < 1 { return 1.5 * x * x * x - 2.5 * x * x + 1 }
            if x < 2 { return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2 }
            return 0
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
