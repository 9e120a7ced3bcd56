"""The Python framework's own recording, timed in its interpreter, on the events `benches/record.rs`
records: livekit-agents' `collect_usage` for a `TTSMetrics` and an `LLMMetrics`, and its turn
recording (`_record_turn_metrics`) for a `MetricsReport` with five latencies and three models,
into the OpenTelemetry Python SDK with an in-memory reader (as our bench records into a manual
reader). Twice: outside a job (the `tts`, `report`, `llm` groups of `benches/record.rs`), then
inside one (the `*_in_job` groups), as an agent records every turn and usage event. The job is
the framework's own `JobContext`, current in its context variable, with recording not set up
(self-hosted, no LiveKit Cloud): each measurement then carries `room_id` and `job_id`, the
fewest job attributes 1.8.9 adds, as our bench's job has.

Run (livekit-agents from PyPI, in a virtual environment, not CI's packages):
    python3 -m venv /tmp/lk && /tmp/lk/bin/pip install livekit-agents==1.8.9
    /tmp/lk/bin/python benches/python/livekit_record.py
Prints the median of 7 runs of N records per event, in ns per event.
"""

import asyncio
import statistics
import time

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

# Imported after the provider is set, as in an agent (its meter is taken at import).
from livekit.agents.metrics.base import LLMMetrics, Metadata, TTSMetrics  # noqa: E402
from livekit.agents.telemetry import otel_metrics  # noqa: E402
import livekit.agents  # noqa: E402
from livekit import rtc  # noqa: E402
from livekit.agents.job import (  # noqa: E402
    JobAcceptArguments,
    JobContext,
    JobExecutorType,
    JobProcess,
    RunningJobInfo,
    _JobContextVar,
)
from livekit.protocol import agent, models  # noqa: E402

tts = TTSMetrics(
    label="livekit.plugins.cartesia.tts.TTS",
    request_id="req",
    timestamp=1.0,
    ttfb=0.2,
    duration=1.0,
    audio_duration=3.5,
    characters_count=42,
    cancelled=False,
    streamed=True,
    acquire_time=0.08,
    connection_reused=True,
    metadata=Metadata(model_provider="cartesia", model_name="sonic-2"),
)
llm = LLMMetrics(
    label="llm",
    request_id="r",
    timestamp=1.0,
    duration=1.2,
    ttft=0.4,
    cancelled=False,
    completion_tokens=60,
    prompt_tokens=900,
    prompt_cached_tokens=700,
    total_tokens=960,
    tokens_per_second=50.0,
    metadata=Metadata(model_provider="openai", model_name="gpt-4o-mini"),
)
report = {
    "transcription_delay": 0.2,
    "end_of_turn_delay": 0.5,
    "llm_node_ttft": 0.4,
    "tts_node_ttfb": 0.2,
    "e2e_latency": 1.1,
    "stt_metadata": {"model_provider": "deepgram", "model_name": "nova-3"},
    "llm_metadata": {"model_provider": "openai", "model_name": "gpt-4o-mini"},
    "tts_metadata": {"model_provider": "cartesia", "model_name": "sonic-2"},
}

N = 20_000


def per_event(record):
    record()  # every series created before measuring
    runs = []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(N):
            record()
        runs.append((time.perf_counter_ns() - start) / N)
    return statistics.median(runs)


EVENTS = [
    ("tts", lambda: otel_metrics.collect_usage(tts)),
    ("report", lambda: otel_metrics._record_turn_metrics(report)),
    ("llm", lambda: otel_metrics.collect_usage(llm)),
]


def job_context() -> JobContext:
    """A job as the worker hands it to the entrypoint, without connecting to a server."""
    info = RunningJobInfo(
        accept_arguments=JobAcceptArguments(name="agent", identity="agent", metadata=""),
        job=agent.Job(id="AJ_bench", room=models.Room(sid="RM_bench", name="bench")),
        url="ws://127.0.0.1:7880",
        token="",
        worker_id="W_bench",
        fake_job=True,
    )
    return JobContext(
        proc=JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None, http_proxy=None),
        info=info,
        room=rtc.Room(),
        on_connect=lambda: None,
        on_shutdown=lambda _reason: None,
        inference_executor=None,
    )


async def in_job() -> None:
    _JobContextVar.set(job_context())
    assert otel_metrics._job_attrs() == {"room_id": "RM_bench", "job_id": "AJ_bench"}
    for name, record in EVENTS:
        print(f"{name}_in_job: {per_event(record):.0f} ns per event")


print(f"livekit-agents {livekit.agents.__version__}")
for name, record in EVENTS:
    print(f"{name}: {per_event(record):.0f} ns per event")
asyncio.run(in_job())
# The records reached the SDK, with the job's attributes in the second pass.
points = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics
characters = next(m for m in points if m.name == "lk.agents.usage.tts_characters")
assert any(p.attributes.get("job_id") == "AJ_bench" for p in characters.data.data_points)
