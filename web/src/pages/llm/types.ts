// The `llm` pack's result rows, as GET /api/v1/packs describes them (README "API reference").

export interface RealtimeKpi {
  totalRequests: number;
  successRate: number;
  avgResponseTime: number;
  totalTokens: number;
  activeUsers: number;
  errorCount: number;
}

export interface HourlyTraffic {
  hour: string;
  requests: number;
  errors: number;
  avgLatencyMs: number;
  totalTokens: number;
}

export interface DailyTraffic {
  date: string;
  requests: number;
  errors: number;
  uniqueUsers: number;
  totalTokens: number;
  avgLatencyMs: number;
}

export interface CostTrend {
  date: string;
  totalCost: number;
  requests: number;
  costPerRequest: number;
}

export interface TenantUsage {
  tenantId: string;
  requests: number;
  totalTokens: number;
  totalCost: number;
  avgLatencyMs: number;
  errorRate: number;
  uniqueUsers: number;
}

export interface ErrorAnalysis {
  errorType: string;
  count: number;
  percentage: number;
  affectedTenants: number;
  lastOccurrence: string;
}

export interface TokenEfficiency {
  tenantId: string;
  avgPromptTokens: number;
  avgCompletionTokens: number;
  completionRatio: number;
  costPer1kTokens: number;
}

export interface AnomalyStats {
  totalAnomalies: number;
  anomalyRate: number;
  topAnomalyTypes: { type: string; count: number }[];
}

export interface QueryPattern {
  pattern: string;
  count: number;
  avgLatencyMs: number;
  avgTokens: number;
  errorRate: number;
}

export interface LogRow {
  timestamp: string;
  requestId: string;
  tenantId: string;
  userId: string;
  model: string;
  status: string;
  errorType: string | null;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  queryCategory: string;
  isAnomaly: boolean;
  anomalyType: string | null;
}
