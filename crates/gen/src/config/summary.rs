//! The resolved summary `weft validate` prints for a good config.

use std::fmt::Write;

use super::resolved::*;

/// What `config` resolves to, as `weft validate` prints it: models, sample
/// counts, topic shape and path count, tool routing, seeded files.
pub fn summary(config: &Config) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_summary(&mut out, config);
    out
}

fn write_summary(out: &mut String, config: &Config) -> std::fmt::Result {
    writeln!(out, "{}: ok", config.source)?;
    writeln!(out, "seed: {}", config.seed)?;
    writeln!(out, "models:")?;
    for (role, llm) in [("topics", &config.topics.llm), ("generation", &config.generation.llm)] {
        write!(out, "  {role:<11}{} / {}", llm.provider, llm.model)?;
        write!(out, "  (temperature {}, max_tokens {}", llm.temperature, llm.max_tokens)?;
        if let Some(url) = &llm.base_url {
            write!(out, ", base_url {url}")?;
        }
        if let Some(secs) = llm.timeout_secs {
            write!(out, ", timeout {secs}s")?;
        }
        match llm.http {
            weft_llm::HttpVersion::Auto => {}
            weft_llm::HttpVersion::Http1 => write!(out, ", HTTP/1.1")?,
            weft_llm::HttpVersion::Http2 => write!(out, ", HTTP/2")?,
        }
        writeln!(out, ")")?;
    }
    write_topics(out, &config.topics)?;
    write_generation(out, &config.generation)?;
    write_output(out, config)?;
    match &config.generation.tools {
        Some(tools) => write_tools(out, tools)?,
        None => writeln!(out, "tools: none (samples without tool calls)")?,
    }
    if let Some(hf) = &config.huggingface {
        writeln!(out, "huggingface: {} (not uploaded by weft)", hf.repository)?;
    }
    if let Some(kaggle) = &config.kaggle {
        writeln!(out, "kaggle: {} (not uploaded by weft)", kaggle.handle)?;
    }
    Ok(())
}

fn write_topics(out: &mut String, t: &TopicsConfig) -> std::fmt::Result {
    let mode = match t.mode {
        TopicMode::Tree => "tree",
        TopicMode::Graph => "graph",
    };
    let paths = t.expected_paths();
    let count = match (t.mode, t.prompt_style.allows_connections()) {
        (TopicMode::Graph, true) => format!("at least {paths} paths (cross-links add more)"),
        _ => format!("{paths} paths"),
    };
    writeln!(out, "topics: {mode}, depth {}, degree {} -> {count}", t.depth, t.degree)?;
    writeln!(out, "  prompt: {:?}", t.prompt)?;
    let style = match t.prompt_style {
        PromptStyle::Default => "default",
        PromptStyle::Isolated => "isolated",
        PromptStyle::Anchored => "anchored",
    };
    writeln!(
        out,
        "  prompt style {style}, {} concurrent requests, saved to {}",
        t.max_concurrent,
        t.save_path()
    )
}

fn write_generation(out: &mut String, g: &GenerationConfig) -> std::fmt::Result {
    let c = &g.conversation;
    let kind = match (c.kind, c.reasoning_style) {
        (ConversationType::Basic, _) => "basic".to_owned(),
        (ConversationType::Cot, Some(ReasoningStyle::Agent)) => "cot, agent reasoning".to_owned(),
        (ConversationType::Cot, Some(ReasoningStyle::Freetext)) => "cot, freetext reasoning".to_owned(),
        (ConversationType::Cot, None) => "cot".to_owned(),
    };
    let mode = match c.agent_mode {
        AgentMode::SingleTurn => "single_turn".to_owned(),
        AgentMode::MultiTurn if c.min_turns == c.max_turns => {
            format!("multi_turn, {} user turns", c.min_turns)
        }
        AgentMode::MultiTurn => format!("multi_turn, {}-{} user turns", c.min_turns, c.max_turns),
    };
    match &g.output_schema {
        Some(schema) => {
            let fields = schema.get("properties").and_then(|p| p.as_object()).map_or(0, |p| p.len());
            let required = schema.get("required").and_then(|r| r.as_array()).map_or(0, Vec::len);
            writeln!(
                out,
                "generation: custom records of output_schema ({fields} fields, {required} required), no tools"
            )?;
        }
        None if c.irrelevant_share > 0.0 => writeln!(
            out,
            "generation: {kind}; {mode}; {}% irrelevance samples (no tool serves the request)",
            (c.irrelevant_share * 1000.0).round() / 10.0
        )?,
        None => writeln!(out, "generation: {kind}; {mode}")?,
    }
    writeln!(out, "  retries: {} per failed call, {} per invalid sample", g.max_retries, g.sample_retries)?;
    let r = &g.rate_limit;
    let mut limits = Vec::new();
    if let Some(rpm) = r.requests_per_minute {
        limits.push(format!("{rpm} requests/min"));
    }
    if let Some(tpm) = r.tokens_per_minute {
        limits.push(format!("{tpm} tokens/min"));
    }
    let limits = if limits.is_empty() { "no rate limit".to_owned() } else { limits.join(", ") };
    writeln!(
        out,
        "  {limits}; {} HTTP retries, backoff {} from {}s to {}s",
        r.max_retries,
        backoff_name(r.backoff),
        r.base_delay_secs,
        r.max_delay_secs
    )
}

fn write_output(out: &mut String, config: &Config) -> std::fmt::Result {
    let o = &config.output;
    let paths = config.topics.expected_paths();
    let samples = match o.num_samples {
        NumSamples::Count(n) => format!("{n}"),
        NumSamples::Auto => format!("auto (one per topic path, {paths} expected)"),
        NumSamples::Percent(p) => format!("{p}% of topic paths ({} expected)", o.num_samples.resolve(paths)),
    };
    writeln!(out, "samples: {samples}, batch size {} -> {}", o.batch_size, o.save_as)?;
    if o.format == SampleKind::Custom {
        writeln!(out, "  records as the schema says; canonical file {}.weft.jsonl", o.save_as)?;
    }
    let system = if o.include_system_message {
        if o.system_prompt.is_some() { "output.system_prompt" } else { "generation.system_prompt" }
    } else {
        "none"
    };
    write!(out, "  system message: {system}")?;
    if let Some(cp) = &o.checkpoint {
        write!(out, "; checkpoint every {} samples", cp.interval)?;
        if let Some(path) = &cp.path {
            write!(out, " to {path}")?;
        }
    }
    writeln!(out)
}

fn write_tools(out: &mut String, tools: &ToolsConfig) -> std::fmt::Result {
    match &tools.spin_endpoint {
        None => writeln!(out, "tools: in-process sandbox")?,
        Some(endpoint) => writeln!(out, "tools: tool service at {endpoint}")?,
    }
    writeln!(
        out,
        "  max {} calls per sample ({}), {} agent steps",
        tools.max_per_query,
        if tools.strict {
            "strict: over-limit samples are discarded"
        } else {
            "over-limit calls are truncated"
        },
        tools.max_agent_steps
    )?;
    if tools.tool_calling == ToolCalling::Json {
        writeln!(out, "  tool calling: JSON steps (thought / tool_calls / is_final) via structured output")?;
    }
    let routes = tools.routes();
    let custom_names = tools.custom.iter().filter_map(|c| c.get("name")?.as_str());
    let width = routes.iter().map(|r| r.tool.len()).chain(custom_names.map(str::len)).max().unwrap_or(0);
    for route in &routes {
        let target = tools.execute_url(&route.component).unwrap_or_else(|| "in-process".to_owned());
        writeln!(out, "  {:<width$}  -> {} ({target})", route.tool, route.component)?;
    }
    if let Some(endpoint) = &tools.tools_endpoint {
        writeln!(out, "  definitions of non-builtin tools from {endpoint}")?;
    }
    for custom in &tools.custom {
        let name = custom.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        writeln!(out, "  {name:<width$}  -> custom (defined inline)")?;
    }
    for server in &tools.mcp_servers {
        let at = match &server.transport {
            McpTransport::Http { url } => url.clone(),
            McpTransport::Stdio { command, args, .. } => {
                format!("`{}`", [command.clone()].iter().chain(args).cloned().collect::<Vec<_>>().join(" "))
            }
        };
        let which = if server.tools.is_empty() { "all tools".to_owned() } else { server.tools.join(", ") };
        writeln!(out, "  mcp server {}: {which} from {at}", server.name)?;
    }
    if tools.scenarios.is_empty() {
        seeded_files(out, "  seeded files", &tools.scenario_seed.files)?;
    }
    for scenario in &tools.scenarios {
        seeded_files(out, &format!("  scenario {}", scenario.name), &scenario.seed.files)?;
    }
    Ok(())
}

/// At most this many seeded files are listed per scenario.
const LISTED_FILES: usize = 20;

fn seeded_files(
    out: &mut impl std::fmt::Write,
    label: &str,
    files: &std::collections::BTreeMap<String, String>,
) -> std::fmt::Result {
    if files.is_empty() {
        return writeln!(out, "{label}: none");
    }
    let bytes: usize = files.values().map(String::len).sum();
    writeln!(out, "{label} ({} files, {bytes} bytes):", files.len())?;
    for (path, content) in files.iter().take(LISTED_FILES) {
        writeln!(out, "    {path} ({} bytes)", content.len())?;
    }
    if files.len() > LISTED_FILES {
        writeln!(out, "    ... and {} more", files.len() - LISTED_FILES)?;
    }
    Ok(())
}

fn backoff_name(backoff: Backoff) -> &'static str {
    match backoff {
        Backoff::Exponential => "exponential",
        Backoff::ExponentialJitter => "exponential_jitter",
        Backoff::Linear => "linear",
        Backoff::Constant => "constant",
    }
}
