"""What the rule-based simulated user says: short natural replies in three styles.

Only wording lives here; when to say what is decided in `rules.py`.
"""

from __future__ import annotations

import random

from proact_env.personas import Persona
from proact_env.rng import pick

STYLES = ("terse", "neutral", "chatty")

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "answer_prefix": {
        "terse": ("", ""),
        "neutral": ("", "Sure. ", "Good question. "),
        "chatty": ("Oh, good question! ", "Happy to help. ", "Sure thing! "),
    },
    "vague": {
        "terse": ("Not sure.", "Whatever works.", "Dunno."),
        "neutral": ("Hmm, I'm not sure. Use your judgement.", "I don't really know, whatever you think is best."),
        "chatty": ("Honestly I'm not sure, I trust you on that one!", "Oh, I hadn't thought about that. Whatever seems sensible."),
    },
    "unclear": {
        "terse": ("What?", "Meaning?", "Not sure what you're asking.", "Irrelevant."),
        "neutral": ("Sorry, what do you mean?", "I'm not sure what you're asking.",
                    "How is that relevant to what I asked for?"),
        "chatty": ("Ha, I'm not sure I follow, what do you mean?",
                   "Oh, I don't quite see what you're getting at, can you say more?"),
    },
    "volunteer": {
        "terse": ("One thing: ", "Also: "),
        "neutral": ("Now that you ask: ", "One thing: "),
        "chatty": ("Oh, glad you asked! ", "Actually yes, one thing: "),
    },
    "nothing_else": {
        "terse": ("No.", "That's it."),
        "neutral": ("Nothing comes to mind.", "I think that's everything."),
        "chatty": ("Hmm, nothing else comes to mind right now!", "I think that's all, thanks for checking!"),
    },
    "repeat": {
        "terse": ("Already said.", "See above."),
        "neutral": ("As I mentioned: ", "Like I said, "),
        "chatty": ("I think I mentioned it already, but: ", "No worries, again: "),
    },
    "reject": {
        "terse": ("Just do it.", "No more questions.", "Just write it."),
        "neutral": ("Please just give me something, I don't have time for more questions.",
                    "Can you just make a reasonable assumption and do it?"),
        "chatty": ("I'd rather you just have a go at it, to be honest!", "Let's not overthink it, just give it a try."),
    },
    "off_topic": {
        "terse": ("Unrelated, but is the build server down?", "Btw, lunch later?"),
        "neutral": ("By the way, did you see the email about the team offsite?",
                    "Sorry, unrelated, but do you know when the deadline moved to?"),
        "chatty": ("Oh, that reminds me, I meant to ask you about the conference next month!",
                   "Totally unrelated, but I just got a new puppy and I can't focus today!"),
    },
    "success": {
        "terse": ("Works.", "Good.", "Thanks."),
        "neutral": ("That works, thanks.", "Perfect, that's what I needed."),
        "chatty": ("This is great, thank you so much!", "Wonderful, exactly what I was hoping for!"),
    },
    "complaint": {
        "terse": ("Wrong.", "Not it.", "Doesn't work."),
        "neutral": ("That's not quite what I need.", "Close, but that's not it."),
        "chatty": ("Hmm, that's not quite right, sorry!", "I appreciate it, but it's not what I meant."),
    },
    "feedback_prefix": {
        "terse": ("", "Fix: "),
        "neutral": ("One thing: ", "The problem is: "),
        "chatty": ("One thing I should have said: ", "Oh, and I forgot to mention: "),
    },
    "give_up": {
        "terse": ("Forget it.", "Never mind, I'll do it myself."),
        "neutral": ("Let's stop here, I'll figure it out myself.", "This isn't working, never mind."),
        "chatty": ("I think I'll take a break from this one, thanks anyway.", "Let's leave it for now, I'm getting a bit lost."),
    },
}


def style_of(persona: Persona) -> str:
    """Users who dislike long turns write tersely; patient novices chat; the rest are neutral."""
    if persona.long_turn_tolerance < 35:
        return "terse"
    if persona.patience == "high" and persona.expertise != "high":
        return "chatty"
    return "neutral"


def say(kind: str, style: str, rng: random.Random) -> str:
    return pick(rng, PHRASES[kind][style])
