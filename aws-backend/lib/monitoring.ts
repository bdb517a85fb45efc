/** Alarms (failed executions, dead letters waiting, Lambda errors) and a dashboard of jobs. */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

import { ITEMS_ANALYSED_METRIC } from "./monitoring-metrics.ts";

export interface MonitoringProps {
  stateMachine: sfn.StateMachine;
  deadLetterQueue: sqs.IQueue;
  functions: lambda.IFunction[];
}

export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const atLeastOne = (alarmId: string, metric: cloudwatch.IMetric, description: string) =>
      this.alarms.push(
        new cloudwatch.Alarm(this, alarmId, {
          metric,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        }),
      );
    atLeastOne("ExecutionsFailed", props.stateMachine.metricFailed({ period: Duration.minutes(5) }), "A batch job execution failed");
    atLeastOne(
      "DeadLettersWaiting",
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      "Events are waiting in the dead-letter queue: run `npm run dlq -- replay`",
    );
    props.functions.forEach((fn, i) =>
      atLeastOne(`LambdaErrors${i}`, fn.metricErrors({ period: Duration.minutes(5) }), `Errors in ${fn.node.id}`),
    );

    const started = props.stateMachine.metricStarted({ period: Duration.hours(1) });
    const succeeded = props.stateMachine.metricSucceeded({ period: Duration.hours(1) });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: "Job duration (ms)", left: [props.stateMachine.metricTime({ statistic: "p50" }), props.stateMachine.metricTime({ statistic: "p99" })] }),
          new cloudwatch.GraphWidget({
            title: "Success rate (%)",
            left: [new cloudwatch.MathExpression({ expression: "IF(started > 0, 100 * succeeded / started, 100)", usingMetrics: { started, succeeded }, label: "success %", period: Duration.hours(1) })],
          }),
          new cloudwatch.GraphWidget({
            title: "Items analysed",
            left: [new cloudwatch.Metric({ ...ITEMS_ANALYSED_METRIC, statistic: "Sum", period: Duration.hours(1) })],
          }),
        ],
      ],
    });
  }
}
