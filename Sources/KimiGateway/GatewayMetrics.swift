import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The gateway's measurements through swift-metrics, kept in a registry of its own (not the
/// process-wide metrics system, so two gateways in one process — the tests — count apart) and
/// read out by `GET /metrics` in Prometheus' text format.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a passed-through chat (milliseconds) to a long video's re-encode (minutes).
        factory.defaultDurationHistogramBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
            .map { Duration.milliseconds(Int64($0 * 1000)) }
        self.factory = factory
    }

    /// Requests answered, by route and status.
    func answered(route: String, status: Int) {
        Counter(label: "kimi_gateway_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
    }

    /// One medium prepared (`image`, `video`), and its bytes in and out.
    func prepared(kind: String, bytesIn: Int64, bytesOut: Int64, seconds: Double) {
        Counter(label: "kimi_gateway_media_prepared_total", dimensions: [("kind", kind)], factory: factory).increment()
        Counter(label: "kimi_gateway_media_bytes_in_total", factory: factory).increment(by: Int(bytesIn))
        Counter(label: "kimi_gateway_media_bytes_out_total", factory: factory).increment(by: Int(bytesOut))
        Metrics.Timer(label: "kimi_gateway_preparation_seconds", dimensions: [("kind", kind)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The upstream's answer head arrived after `seconds`.
    func upstream(route: String, seconds: Double) {
        Metrics.Timer(label: "kimi_gateway_upstream_seconds", dimensions: [("route", route)], factory: factory).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A 429 from the upstream (waited out by the client, or passed on).
    func upstreamRateLimited() {
        Counter(label: "kimi_gateway_upstream_rate_limited_total", factory: factory).increment()
    }

    /// Requests waiting for room (the server's limits or the upstream's rate limits), and requests in the gateway.
    func queue(depth: Int, inFlight: Int) {
        Gauge(label: "kimi_gateway_queue_depth", factory: factory).record(depth)
        Gauge(label: "kimi_gateway_requests_in_flight", factory: factory).record(inFlight)
    }

    func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
