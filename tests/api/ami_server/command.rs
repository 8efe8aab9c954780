//! The CLI `Command` action, in both output styles.

use super::state::State;
use super::wire::Writer;

pub(super) fn command(st: &State, cmd: &str, w: &mut Writer, old_style: bool) {
    let lines: Option<Vec<String>> = match cmd {
        "core show channels" => {
            let mut l = vec![format!(
                "{:<64} {:<32} {:<7} {:<30}",
                "Channel", "Location", "State", "Application(Data)"
            )];
            for c in &st.channels {
                l.push(format!(
                    "{:<64} {:<32} {:<7} {:<30}",
                    c.channel,
                    format!("{}@{}:{}", c.exten, c.context, c.priority),
                    c.state,
                    format!("{}({})", c.application, c.application_data)
                ));
            }
            let n = st.channels.len();
            l.push(format!("{n} active channels"));
            l.push(format!("{n} active calls"));
            l.push(format!("{} calls processed", st.next_uid));
            Some(l)
        }
        "core show channels concise" => Some(
            st.channels
                .iter()
                .map(|c| {
                    format!(
                        "{}!{}!{}!{}!{}!{}!{}!{}!{}!!3!1!{}!{}",
                        c.channel,
                        c.context,
                        c.exten,
                        c.priority,
                        c.state,
                        c.application,
                        c.application_data,
                        c.caller_id_num,
                        c.account_code,
                        c.bridge_id,
                        c.uniqueid
                    )
                })
                .collect(),
        ),
        other => st.commands.get(other).cloned(),
    };
    let (ok, lines) = match lines {
        Some(l) => (true, l),
        None => {
            let first = cmd.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            (false, vec![format!(
                "No such command '{cmd}' (type 'core show help {first}' for other possible commands)"
            )])
        }
    };
    if old_style {
        // Pre-14: raw lines ended by a bare \n, then --END COMMAND--.
        let mut out = String::from("Response: Follows\r\nPrivilege: Command\r\n");
        if let Some(id) = &w.id {
            out.push_str(&format!("ActionID: {id}\r\n"));
        }
        for l in &lines {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str("--END COMMAND--\r\n\r\n");
        w.reply.out.push_str(&out);
        return;
    }
    let mut h = hdrs!["Message" => "Command output follows"];
    h.extend(lines.into_iter().map(|l| ("Output".to_string(), l)));
    w.response(if ok { "Success" } else { "Error" }, h);
}
