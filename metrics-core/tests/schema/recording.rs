//! Recording every event type through the recorder, and every exported point checked: values,
//! attributes and the recording rules of `docs/PYTHON-PARITY.md` §2.3.

use agent_metrics_test_support::fixtures;

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::schema::*;

fn stt(audio: f64, acquire: f64, reused: bool) -> STTMetrics {
    STTMetrics {
        audio_duration: audio,
        acquire_time: acquire,
        connection_reused: reused,
        ..fixtures::stt(Some(Metadata::new("deepgram", "nova-3")))
    }
}

fn llm(prompt: u64, cached: u64, completion: u64) -> LLMMetrics {
    LLMMetrics {
        label: "lk.llm".into(),
        request_id: "r2".into(),
        timestamp: 1.0,
        duration: 0.9,
        ttft: 0.3,
        completion_tokens: completion,
        prompt_tokens: prompt,
        prompt_cached_tokens: cached,
        cache_creation_tokens: 7,
        total_tokens: prompt + completion,
        tokens_per_second: 20.0,
        metadata: Some(Metadata::new("openai", "gpt-4o")),
        ..Default::default()
    }
}

fn tts(chars: u64, audio: f64, acquire: f64) -> TTSMetrics {
    TTSMetrics {
        audio_duration: audio,
        characters_count: chars,
        acquire_time: acquire,
        ..fixtures::tts(fixtures::sonic())
    }
}

fn realtime() -> RealtimeModelMetrics {
    RealtimeModelMetrics {
        label: "lk.rt".into(),
        request_id: "r4".into(),
        timestamp: 1.0,
        duration: 1.5,
        session_duration: 12.5,
        ttft: 0.4,
        input_tokens: 100,
        output_tokens: 40,
        total_tokens: 140,
        tokens_per_second: 26.0,
        input_token_details: InputTokenDetails {
            audio_tokens: 80,
            text_tokens: 20,
            image_tokens: 0,
            cached_tokens: 10,
            cached_tokens_details: None,
        },
        output_token_details: OutputTokenDetails {
            text_tokens: 15,
            audio_tokens: 25,
            image_tokens: 0,
        },
        metadata: Some(Metadata::new("openai", "gpt-realtime")),
        ..Default::default()
    }
}

fn find<'a>(points: &'a [Point], name: &str) -> Vec<&'a Point> {
    points.iter().filter(|p| p.name == name).collect()
}

fn one<'a>(points: &'a [Point], name: &str) -> &'a Point {
    let found = find(points, name);
    assert_eq!(found.len(), 1, "{name}: {found:#?}");
    found[0]
}

#[test]
fn every_event_type_records_its_points() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let events: Vec<AgentMetrics> = vec![
        stt(2.5, 0.12, false).into(),
        llm(30, 5, 12).into(),
        tts(42, 3.25, 0.08).into(),
        realtime().into(),
        InterruptionMetrics {
            timestamp: 1.0,
            total_duration: 0.1,
            prediction_duration: 0.05,
            detection_delay: 0.2,
            num_interruptions: 1,
            num_requests: 4,
            metadata: Some(Metadata::new("livekit", "adaptive interruption")),
            ..Default::default()
        }
        .into(),
        VADMetrics {
            label: "vad".into(),
            timestamp: 1.0,
            idle_time: 0.5,
            inference_duration_total: 0.01,
            inference_count: 30,
            ..Default::default()
        }
        .into(),
        EOUMetrics {
            timestamp: 1.0,
            end_of_utterance_delay: 0.4,
            transcription_delay: 0.2,
            on_user_turn_completed_delay: 0.01,
            ..Default::default()
        }
        .into(),
    ];
    for e in &events {
        recorder.record(e);
    }
    recorder.record(&MetricsReport {
        e2e_latency: Some(0.9),
        llm_node_ttft: Some(0.35),
        tts_node_ttfb: Some(0.2),
        llm_metadata: Some(MetricsMetadata::new("openai", "gpt-4o")),
        tts_metadata: Some(MetricsMetadata::new("cartesia", "sonic-2")),
        ..Default::default()
    });
    recorder.record(&MetricsReport {
        transcription_delay: Some(0.0),
        end_of_turn_delay: Some(0.45),
        on_user_turn_completed_delay: Some(0.01),
        stt_metadata: Some(MetricsMetadata::new("deepgram", "nova-3")),
        ..Default::default()
    });

    let points = capture.collect();
    let model = |p: &Point| p.attr_pairs();
    let openai_4o = ["model_name=gpt-4o", "model_provider=openai"];
    let openai_rt = ["model_name=gpt-realtime", "model_provider=openai"];

    // LLM and realtime share the token counters: one series per model.
    let input = find(&points, "lk.agents.usage.llm_input_tokens");
    assert_eq!(input.len(), 2);
    assert_eq!(
        (input[0].value.as_u64(), model(input[0])),
        (Some(30), openai_4o.map(String::from).to_vec())
    );
    assert_eq!(
        (input[1].value.as_u64(), model(input[1])),
        (Some(100), openai_rt.map(String::from).to_vec())
    );
    let cached = find(&points, "lk.agents.usage.llm_input_cached_tokens");
    assert_eq!(
        cached
            .iter()
            .map(|p| p.value.as_u64().unwrap())
            .collect::<Vec<_>>(),
        [5, 10]
    );
    let output = find(&points, "lk.agents.usage.llm_output_tokens");
    assert_eq!(
        output
            .iter()
            .map(|p| p.value.as_u64().unwrap())
            .collect::<Vec<_>>(),
        [12, 40]
    );
    for (name, value) in [
        ("lk.agents.usage.llm_input_audio_tokens", 80),
        ("lk.agents.usage.llm_input_text_tokens", 20),
        ("lk.agents.usage.llm_output_text_tokens", 15),
        ("lk.agents.usage.llm_output_audio_tokens", 25),
    ] {
        let p = one(&points, name);
        assert_eq!(p.value.as_u64(), Some(value), "{name}");
        assert_eq!(model(p), openai_rt, "{name}");
    }
    assert_eq!(
        one(&points, "lk.agents.usage.llm_session_duration")
            .value
            .as_f64(),
        Some(12.5)
    );

    let chars = one(&points, "lk.agents.usage.tts_characters");
    assert_eq!(chars.value.as_u64(), Some(42));
    assert_eq!(
        chars.attr_pairs(),
        ["model_name=sonic-2", "model_provider=cartesia"]
    );
    assert_eq!(chars.unit, "{character}");
    assert_eq!(
        one(&points, "lk.agents.usage.tts_audio_duration")
            .value
            .as_f64(),
        Some(3.25)
    );
    assert_eq!(
        one(&points, "lk.agents.usage.stt_audio_duration")
            .value
            .as_f64(),
        Some(2.5)
    );
    let requests = one(&points, "lk.agents.usage.interruption_num_requests");
    assert_eq!(requests.value.as_u64(), Some(4));
    assert_eq!(
        requests.attr_pairs(),
        ["model_name=adaptive interruption", "model_provider=livekit"]
    );

    // Connection timing: STT and TTS were > 0, realtime's 0.0 is not recorded.
    let acquire = find(&points, "lk.agents.connection.acquire_time");
    assert_eq!(acquire.len(), 2);
    let stt_point = acquire
        .iter()
        .find(|p| p.attr("model_provider").as_deref() == Some("deepgram"))
        .unwrap();
    assert_eq!(
        stt_point.attr_pairs(),
        [
            "connection_reused=false",
            "model_name=nova-3",
            "model_provider=deepgram"
        ]
    );
    let h = stt_point.value.as_histogram().unwrap();
    assert_eq!((h.count, h.sum), (1, 0.12));

    // Turn histograms: labelled by the metadata of the component that caused them.
    let e2e = one(&points, "lk.agents.turn.e2e_latency");
    assert_eq!(e2e.attr_pairs(), openai_4o);
    assert_eq!(e2e.value.as_histogram().unwrap().sum, 0.9);
    assert_eq!(
        one(&points, "lk.agents.turn.llm_ttft").attr_pairs(),
        openai_4o
    );
    assert_eq!(
        one(&points, "lk.agents.turn.tts_ttfb").attr_pairs(),
        ["model_name=sonic-2", "model_provider=cartesia"]
    );
    let stt_model = ["model_name=nova-3", "model_provider=deepgram"];
    for name in [
        "lk.agents.turn.transcription_delay",
        "lk.agents.turn.end_of_turn_delay",
        "lk.agents.turn.on_user_turn_completed_delay",
    ] {
        assert_eq!(one(&points, name).attr_pairs(), stt_model, "{name}");
    }
    // A transcription delay of 0 is a measurement and is recorded (`docs/PYTHON-PARITY.md` §2.3).
    let transcription = one(&points, "lk.agents.turn.transcription_delay")
        .value
        .as_histogram()
        .unwrap();
    assert_eq!((transcription.count, transcription.sum), (1, 0.0));

    // VAD and end-of-utterance events feed nothing: the 19 `lk.agents.*` instruments of PR #4891
    // are all accounted for, and LLM and realtime events also feed the three GenAI client
    // histograms (`parity_1_8_9.rs` checks those point by point).
    let names: std::collections::BTreeSet<_> = points.iter().map(|p| p.name.as_str()).collect();
    let lk = names.iter().filter(|n| n.starts_with("lk.agents.")).count();
    assert_eq!(lk, 19, "{names:#?}");
    assert_eq!(names.len(), 19 + 3, "{names:#?}");
}

#[test]
fn zero_usage_is_never_added_and_reuse_is_labelled_true() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    // The dedicated connection event of a streaming STT: zero usage, only the timing.
    recorder.record(&stt(0.0, 0.004, true));
    recorder.record(&llm(0, 0, 0));
    recorder.record(&tts(0, 0.0, 0.0));
    // The LLM event still reports its duration and time to first token to the GenAI
    // histograms; no usage counter or token histogram sees a zero.
    let points: Vec<_> = capture
        .collect()
        .into_iter()
        .filter(|p| !p.name.starts_with("gen_ai.client.operation."))
        .collect();
    assert_eq!(points.len(), 1, "{points:#?}");
    assert_eq!(points[0].name, "lk.agents.connection.acquire_time");
    assert_eq!(points[0].attr("connection_reused").as_deref(), Some("true"));
}

#[test]
fn missing_metadata_gives_an_empty_attribute_set_and_empty_strings_are_dropped() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut anonymous = tts(3, 0.0, 0.0);
    anonymous.metadata = None;
    recorder.record(&anonymous);
    let mut blank = tts(4, 0.0, 0.0);
    blank.metadata = Some(Metadata {
        model_name: Some("".into()),
        model_provider: Some("unknown".into()),
    });
    recorder.record(&blank);
    let points = capture.collect();
    let chars = find(&points, "lk.agents.usage.tts_characters");
    assert_eq!(chars[0].attr_pairs(), Vec::<String>::new());
    assert_eq!(chars[0].value.as_u64(), Some(3));
    assert_eq!(chars[1].attr_pairs(), ["model_provider=unknown"]);
}

#[test]
fn turn_metadata_is_presence_based() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    recorder.record(&MetricsReport {
        e2e_latency: Some(1.0),
        llm_metadata: Some(MetricsMetadata {
            model_name: Some("".into()),
            model_provider: None,
        }),
        ..Default::default()
    });
    recorder.record(&MetricsReport {
        tts_node_ttfb: Some(0.3),
        ..Default::default()
    });
    let points = capture.collect();
    assert_eq!(
        one(&points, "lk.agents.turn.e2e_latency").attr_pairs(),
        ["model_name="]
    );
    assert!(
        one(&points, "lk.agents.turn.tts_ttfb")
            .attributes
            .is_empty()
    );
}

#[test]
fn histogram_buckets_are_seconds() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    recorder.record(&MetricsReport {
        e2e_latency: Some(0.6),
        ..Default::default()
    });
    let points = capture.collect();
    let h = one(&points, "lk.agents.turn.e2e_latency")
        .value
        .as_histogram()
        .unwrap()
        .clone();
    assert_eq!(
        h.bounds,
        [0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0]
    );
    // 0.6 s falls in (0.5, 0.75].
    assert_eq!(h.bucket_counts[4], 1);
}
