//! What livekit-agents 1.8.9 exports for a fixed set of events (`docs/PYTHON-PARITY.md` §D1.3, §D1.4, §D2, §D3):
//! every data point of all 25 instruments, value or count and sum, and attributes, with the job
//! attribution J on each.

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::{Capture, Point, PointValue};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::*;

fn llm() -> LLMMetrics {
    LLMMetrics {
        label: "livekit.plugins.openai.llm.LLM".into(),
        request_id: "chatcmpl-1".into(),
        timestamp: 1.0,
        duration: 1.25,
        ttft: 0.5,
        completion_tokens: 40,
        prompt_tokens: 100,
        prompt_cached_tokens: 20,
        cache_creation_tokens: 5,
        reasoning_tokens: 8,
        total_tokens: 140,
        tokens_per_second: 32.0,
        metadata: Some(Metadata::new("api.openai.com", "gpt-4o")),
        ..Default::default()
    }
}

fn realtime(ttft: f64) -> RealtimeModelMetrics {
    RealtimeModelMetrics {
        label: "livekit.plugins.openai.realtime.RealtimeModel".into(),
        request_id: "resp_1".into(),
        timestamp: 2.0,
        duration: 2.0,
        ttft,
        input_tokens: 300,
        output_tokens: 120,
        total_tokens: 420,
        tokens_per_second: 60.0,
        input_token_details: InputTokenDetails {
            audio_tokens: 250,
            text_tokens: 50,
            image_tokens: 0,
            cached_tokens: 0,
            cached_tokens_details: None,
        },
        output_token_details: OutputTokenDetails {
            text_tokens: 20,
            audio_tokens: 100,
            image_tokens: 0,
        },
        metadata: Some(Metadata::new("Azure OpenAI", "gpt-realtime")),
        ..Default::default()
    }
}

/// A point as `name {attrs} value`, histograms as `count=N sum=S`.
fn show(p: &Point) -> String {
    let value = match &p.value {
        PointValue::Histogram(h) => format!("count={} sum={}", h.count, h.sum),
        other => other.to_string(),
    };
    format!("{} {{{}}} {value}", p.name, p.attr_pairs().join(", "))
}

const J: &str = "job_id=AJ_7, lk.agent_name=concierge, room_id=RM_lobby";

#[test]
fn fixed_events_export_what_1_8_9_exports() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let job = Job::new("RM_lobby", "AJ_7").agent_name("concierge");
    {
        let _job = job.enter();
        recorder.record(&llm());
        recorder.record(&realtime(0.4));
        // ttft exactly 0 is recorded; duration 0 and zero tokens are not.
        let mut fast = realtime(0.0);
        fast.duration = 0.0;
        fast.input_tokens = 0;
        recorder.record(&fast);
        // The zero-usage event of a realtime (re)connect feeds only the acquire histogram.
        let mut connect = realtime(-1.0);
        connect.duration = 0.0;
        connect.input_tokens = 0;
        connect.output_tokens = 0;
        connect.input_token_details = InputTokenDetails::default();
        connect.output_token_details = OutputTokenDetails::default();
        connect.acquire_time = 0.25;
        recorder.record(&connect);
        recorder.record(&ToolExecutionMetrics::new("lookup", 0.125, true));
        recorder.record(&ToolExecutionMetrics::new("lookup", 0.0, false));
        recorder.record(&AgentInvocationMetrics {
            agent_name: "default_agent".into(),
            duration: 3.5,
            ..Default::default()
        });
        recorder.record(&EventLoopBlocked {
            duration: 0.75,
            severity: Severity::Error,
            ..Default::default()
        });
    }
    let mut actual: Vec<String> = capture.collect().iter().map(show).collect();
    actual.sort();

    let openai = format!(
        "gen_ai.provider.name=openai, gen_ai.request.model=gpt-4o, gen_ai.response.model=gpt-4o, {J}"
    );
    let azure = format!(
        "gen_ai.provider.name=azure.ai.openai, gen_ai.request.model=gpt-realtime, gen_ai.response.model=gpt-realtime, {J}"
    );
    let chat = format!("gen_ai.operation.name=chat, {openai}");
    let rt = format!("gen_ai.operation.name=generate_content, {azure}");
    let with_token = |ops: &str, token: &str| {
        // gen_ai.token.type sorts after gen_ai.response.model and before job_id.
        ops.replacen(
            ", job_id",
            &format!(", gen_ai.token.type={token}, job_id"),
            1,
        )
    };
    let raw_openai = "job_id=AJ_7, lk.agent_name=concierge, model_name=gpt-4o, model_provider=api.openai.com, room_id=RM_lobby";
    let raw_azure = "job_id=AJ_7, lk.agent_name=concierge, model_name=gpt-realtime, model_provider=Azure OpenAI, room_id=RM_lobby";
    let mut expected = vec![
        format!("gen_ai.client.operation.duration {{{chat}}} count=1 sum=1.25"),
        format!("gen_ai.client.operation.duration {{{rt}}} count=1 sum=2"),
        format!("gen_ai.client.operation.time_to_first_chunk {{{chat}}} count=1 sum=0.5"),
        format!("gen_ai.client.operation.time_to_first_chunk {{{rt}}} count=2 sum=0.4"),
        format!(
            "gen_ai.client.token.usage {{{}}} count=1 sum=100",
            with_token(&chat, "input")
        ),
        format!(
            "gen_ai.client.token.usage {{{}}} count=1 sum=40",
            with_token(&chat, "output")
        ),
        format!(
            "gen_ai.client.token.usage {{{}}} count=2 sum=240",
            with_token(&rt, "output")
        ),
        format!(
            "gen_ai.client.token.usage {{{}}} count=1 sum=300",
            with_token(&rt, "input")
        ),
        format!(
            "gen_ai.execute_tool.duration {{error.type=tool_error, gen_ai.operation.name=execute_tool, gen_ai.tool.name=lookup, {J}}} count=1 sum=0.125"
        ),
        format!(
            "gen_ai.execute_tool.duration {{gen_ai.operation.name=execute_tool, gen_ai.tool.name=lookup, {J}}} count=1 sum=0"
        ),
        format!(
            "gen_ai.invoke_agent.duration {{gen_ai.agent.name=default_agent, gen_ai.operation.name=invoke_agent, {J}}} count=1 sum=3.5"
        ),
        format!(
            "lk.agents.connection.acquire_time {{connection_reused=false, {}}} count=1 sum=0.25",
            raw_azure
        ),
        format!("lk.agents.event_loop.blocked_duration {{{J}, severity=error}} count=1 sum=0.75"),
        format!("lk.agents.usage.llm_input_audio_tokens {{{raw_azure}}} 500"),
        format!("lk.agents.usage.llm_input_cached_tokens {{{raw_openai}}} 20"),
        format!("lk.agents.usage.llm_input_text_tokens {{{raw_azure}}} 100"),
        format!("lk.agents.usage.llm_input_tokens {{{raw_azure}}} 300"),
        format!("lk.agents.usage.llm_input_tokens {{{raw_openai}}} 100"),
        format!("lk.agents.usage.llm_output_audio_tokens {{{raw_azure}}} 200"),
        format!("lk.agents.usage.llm_output_text_tokens {{{raw_azure}}} 40"),
        format!("lk.agents.usage.llm_output_tokens {{{raw_azure}}} 240"),
        format!("lk.agents.usage.llm_output_tokens {{{raw_openai}}} 40"),
    ];
    expected.sort();
    assert_eq!(actual, expected);
}
