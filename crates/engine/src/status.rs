//! Docker's words for time and state: `ps` STATUS ("Up 3 seconds", "Exited (137) 2 seconds
//! ago", "Created") and CREATED ("2 minutes ago"), from go-units' HumanDuration.

use chrono::{DateTime, Utc};

use crate::record::{HealthStatus, State, Status};

/// go-units `HumanDuration`: "Less than a second", "1 second", "About a minute", "3 hours"...
pub(crate) fn human_duration(d: chrono::Duration) -> String {
    let seconds = d.num_seconds();
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = d.num_minutes();
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Go rounds to the nearest hour here.
    let hours = (d.num_milliseconds() + 1_800_000) / 3_600_000;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", d.num_hours() / 24 / 365)
}

/// The STATUS column of `docker ps` at time `now`.
pub(crate) fn status_text(state: &State, now: DateTime<Utc>) -> String {
    let since = |t: Option<DateTime<Utc>>| human_duration(now - t.unwrap_or(now));
    match state.status {
        Status::Creating | Status::Created => "Created".into(),
        Status::Running if state.paused => format!("Up {} (Paused)", since(state.started_at)),
        Status::Running => match &state.health {
            Some(h) if h.status == HealthStatus::Starting => {
                format!("Up {} (health: starting)", since(state.started_at))
            }
            Some(h) => format!("Up {} ({})", since(state.started_at), h.status.word()),
            None => format!("Up {}", since(state.started_at)),
        },
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            state.exit_code,
            since(state.finished_at)
        ),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            state.exit_code,
            since(state.finished_at)
        ),
        Status::Removing => "Removal In Progress".into(),
    }
}

/// The CREATED column: "2 minutes ago".
pub(crate) fn created_text(created: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ago", human_duration(now - created))
}

/// Docker's `State.Status` word: created, running, paused, restarting, exited, removing.
pub(crate) fn status_word(state: &State) -> &'static str {
    match state.status {
        Status::Creating | Status::Created => "created",
        Status::Running if state.paused => "paused",
        Status::Running => "running",
        Status::Restarting => "restarting",
        Status::Exited => "exited",
        Status::Removing => "removing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn durations_read_like_docker() {
        assert_eq!(
            human_duration(Duration::milliseconds(300)),
            "Less than a second"
        );
        assert_eq!(human_duration(Duration::seconds(1)), "1 second");
        assert_eq!(human_duration(Duration::seconds(3)), "3 seconds");
        assert_eq!(human_duration(Duration::seconds(59)), "59 seconds");
        assert_eq!(human_duration(Duration::seconds(60)), "About a minute");
        assert_eq!(human_duration(Duration::seconds(119)), "About a minute");
        assert_eq!(human_duration(Duration::seconds(120)), "2 minutes");
        assert_eq!(human_duration(Duration::minutes(59)), "59 minutes");
        assert_eq!(human_duration(Duration::minutes(60)), "About an hour");
        assert_eq!(human_duration(Duration::minutes(100)), "2 hours");
        assert_eq!(human_duration(Duration::hours(47)), "47 hours");
        assert_eq!(human_duration(Duration::hours(48)), "2 days");
        assert_eq!(human_duration(Duration::days(20)), "2 weeks");
        assert_eq!(human_duration(Duration::days(90)), "3 months");
        assert_eq!(human_duration(Duration::days(800)), "2 years");
    }

    #[test]
    fn status_column() {
        let now = Utc::now();
        let mut s = State {
            status: Status::Running,
            started_at: Some(now - Duration::seconds(3)),
            ..State::default()
        };
        assert_eq!(status_text(&s, now), "Up 3 seconds");
        s.started_at = Some(now - Duration::seconds(75));
        assert_eq!(status_text(&s, now), "Up About a minute");
        s.paused = true;
        assert_eq!(status_text(&s, now), "Up About a minute (Paused)");
        assert_eq!(status_word(&s), "paused");
        s.paused = false;
        assert_eq!(status_word(&s), "running");
        s.health = Some(crate::record::Health::default());
        assert_eq!(status_text(&s, now), "Up About a minute (health: starting)");
        s.health.as_mut().unwrap().status = HealthStatus::Unhealthy;
        assert_eq!(status_text(&s, now), "Up About a minute (unhealthy)");
        s.health = None;
        s.status = Status::Exited;
        s.exit_code = 137;
        s.finished_at = Some(now - Duration::seconds(2));
        assert_eq!(status_text(&s, now), "Exited (137) 2 seconds ago");
        s.status = Status::Created;
        assert_eq!(status_text(&s, now), "Created");
        assert_eq!(
            created_text(now - Duration::minutes(2), now),
            "2 minutes ago"
        );
    }
}
