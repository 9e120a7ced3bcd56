//! Job attribution (`docs/PYTHON-PARITY.md` §D3): every data point carries the attributes of the job that
//! recorded it, concurrent jobs in one process never mix, and outside a job there are none.

use agent_metrics_test_support::fixtures;

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::Capture;
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::*;

fn tts(chars: u64) -> TTSMetrics {
    TTSMetrics {
        audio_duration: 1.0,
        characters_count: chars,
        acquire_time: 0.01,
        connection_reused: true,
        ..fixtures::tts(fixtures::sonic())
    }
}

#[test]
fn two_jobs_on_two_threads_keep_their_own_attributes() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let jobs = [
        Job::new("RM_a", "AJ_a").agent_name("alpha"),
        Job::new("RM_b", "AJ_b")
            .cloud_agent_id("CA_1")
            .deployment_id("D_9"),
    ];
    std::thread::scope(|s| {
        for (i, job) in jobs.iter().enumerate() {
            let recorder = recorder.clone();
            s.spawn(move || {
                let _in_job = job.enter();
                for _ in 0..1000 {
                    recorder.record(&tts(i as u64 + 1));
                }
            });
        }
    });
    let points = capture.collect();
    let chars: Vec<_> = points
        .iter()
        .filter(|p| p.name == "lk.agents.usage.tts_characters")
        .collect();
    assert_eq!(chars.len(), 2);
    assert_eq!(
        chars[0].attr_pairs(),
        [
            "job_id=AJ_a",
            "lk.agent_name=alpha",
            "model_name=sonic-2",
            "model_provider=cartesia",
            "room_id=RM_a"
        ]
    );
    assert_eq!(chars[0].value.as_u64(), Some(1000));
    assert_eq!(
        chars[1].attr_pairs(),
        [
            "job_id=AJ_b",
            "lk.cloud_agent_id=CA_1",
            "lk.deployment_id=D_9",
            "model_name=sonic-2",
            "model_provider=cartesia",
            "room_id=RM_b"
        ]
    );
    assert_eq!(chars[1].value.as_u64(), Some(2000));
    // Every instrument the event fed carries the job, the connection histogram included.
    for p in &points {
        assert!(p.attr("job_id").is_some(), "{p:?}");
    }
    let acquire: Vec<_> = points
        .iter()
        .filter(|p| p.name == "lk.agents.connection.acquire_time")
        .collect();
    assert_eq!(
        acquire[0].attr("connection_reused").as_deref(),
        Some("true")
    );
}

#[test]
fn async_jobs_on_one_runtime_are_scoped_per_task() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for (room, chars) in [("RM_x", 3u64), ("RM_y", 5)] {
            let job = Job::new(room, format!("AJ_{room}")).redaction(room == "RM_y");
            let recorder = recorder.clone();
            tasks.push(tokio::spawn(async move {
                job.scope(async {
                    for _ in 0..50 {
                        recorder.record(&tts(chars));
                        // Hop threads between records: the job follows the task, not the thread.
                        tokio::task::yield_now().await;
                    }
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let points = capture.collect();
    let chars: Vec<_> = points
        .iter()
        .filter(|p| p.name == "lk.agents.usage.tts_characters")
        .collect();
    assert_eq!(chars.len(), 2, "{chars:#?}");
    assert_eq!(chars[0].attr("room_id").as_deref(), Some("RM_x"));
    assert_eq!(chars[0].value.as_u64(), Some(150));
    assert_eq!(chars[0].attr("lk.redaction.enabled"), None);
    assert_eq!(chars[1].attr("room_id").as_deref(), Some("RM_y"));
    assert_eq!(chars[1].value.as_u64(), Some(250));
    assert_eq!(
        chars[1].attr("lk.redaction.enabled").as_deref(),
        Some("true")
    );
}

#[test]
fn outside_a_job_there_is_no_job_attribution() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    recorder.record(&tts(4));
    {
        let _job = Job::new("RM_z", "AJ_z").enter();
    }
    // The guard restored "no job".
    recorder.record(&tts(4));
    let points = capture.collect();
    let chars = points
        .iter()
        .find(|p| p.name == "lk.agents.usage.tts_characters")
        .unwrap();
    assert_eq!(
        chars.attr_pairs(),
        ["model_name=sonic-2", "model_provider=cartesia"]
    );
    assert_eq!(chars.value.as_u64(), Some(8));
}

#[test]
fn simulation_and_empty_ids_follow_the_python_rules() {
    let job = Job::new("RM_s", "")
        .agent_name("")
        .simulation("run_1", "")
        .redaction(false);
    let keys: Vec<String> = job
        .to_attributes()
        .iter()
        .map(|kv| format!("{}={}", kv.key, kv.value))
        .collect();
    assert_eq!(
        keys,
        [
            "lk.simulation.enabled=true",
            "lk.simulation.run_id=run_1",
            "room_id=RM_s"
        ]
    );
    let not_simulated = Job::new("RM_s", "AJ").simulation("", "SJ");
    assert_eq!(not_simulated.to_attributes().len(), 2);
    let from_env = Job::new("RM", "AJ").with_cloud_env(|name| match name {
        "LIVEKIT_AGENT_ID" => Some("CA_7".into()),
        _ => None,
    });
    assert_eq!(
        format!("{:?}", from_env.attributes()),
        r#"{"job_id": "AJ", "lk.cloud_agent_id": "CA_7", "room_id": "RM"}"#
    );
}

#[test]
fn a_nested_record_in_a_job_inherits_the_job_once() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let job = Job::new("RM_n", "AJ_n");
    let _in_job = job.enter();
    let event = RealtimeModelMetrics {
        input_token_details: InputTokenDetails {
            audio_tokens: 9,
            ..Default::default()
        },
        ..fixtures::realtime(Some(Metadata::new("openai", "gpt-realtime")))
    };
    recorder.record(&event);
    let points = capture.collect();
    assert_eq!(points.len(), 1);
    assert_eq!(
        points[0].attr_pairs(),
        [
            "job_id=AJ_n",
            "model_name=gpt-realtime",
            "model_provider=openai",
            "room_id=RM_n"
        ]
    );
}
