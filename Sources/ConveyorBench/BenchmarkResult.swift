import Histogram

/// BenchmarkResult is one scenario's figures.
public struct BenchmarkResult: Sendable {
    public let scenario: BenchmarkScenario
    /// What was measured, in words ("20000 jobs, 100 per batch").
    public let setup: String
    /// Jobs per second of each run, for throughput scenarios.
    public let runs: [Double]
    /// The median of `runs`.
    public var jobsPerSecond: Double? { Self.median(runs) }

    /// The median of some figures; nil for none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    /// Latency percentiles in microseconds, for the latency scenario.
    public let latency: Latency?
    /// CPU time as a share of one core, for the idle scenario.
    public let cpuShare: Double?
    /// Figures of their own, for the claim-cost scenario.
    public var detail: String? = nil

    /// p50/p95/p99/max of a latency distribution, in microseconds.
    public struct Latency: Sendable {
        public let p50: UInt64
        public let p95: UInt64
        public let p99: UInt64
        public let max: UInt64

        init(_ histogram: Histogram<UInt64>) {
            p50 = histogram.valueAtPercentile(50)
            p95 = histogram.valueAtPercentile(95)
            p99 = histogram.valueAtPercentile(99)
            max = histogram.max
        }
    }

    /// One line for the report.
    public var line: String {
        var parts = ["\(scenario.rawValue):", setup]
        if let jobsPerSecond {
            let all = runs.map { String(Int($0.rounded())) }.joined(separator: ", ")
            let unit =
                switch scenario {
                case .roundtrip, .driverRoundtrip: "round trips/s"
                case .rateLimit: "decisions/s"
                default: "jobs/s"
                }
            parts.append("→ median \(Int(jobsPerSecond.rounded())) \(unit) (runs: \(all))")
        }
        if let latency {
            parts.append(
                "→ enqueue→start p50 \(Self.ms(latency.p50)) p95 \(Self.ms(latency.p95)) p99 \(Self.ms(latency.p99)) max \(Self.ms(latency.max))"
            )
        }
        if let cpuShare { parts.append("→ \(String(format: "%.3f", cpuShare * 100))% of one core") }
        if let detail { parts.append("→ \(detail)") }
        return parts.joined(separator: " ")
    }

    static func ms(_ microseconds: UInt64) -> String {
        String(format: "%.2f ms", Double(microseconds) / 1000)
    }
}
